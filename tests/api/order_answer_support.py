"""An installation for the order hooks' answer tests: its product and company linked, so a won
order's rows are planned."""

from __future__ import annotations

from tests.e2e.outbound_support import mark_initial_sync_done
from tests.intake.support import create_installation
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, LinkEntity


async def installation_with_links(
    services: Services, *, product_id: int, company_id: int
) -> Installation:
    """Logged in to Fortnox (active) and its initial sync done, the product linked to article
    ``A1`` and the company to customer ``C1``."""
    installation = await create_installation(services.session_factory, services.secret_box)
    async with services.session_factory() as session:
        active = await session.get(Installation, installation.id)
        assert active is not None
        active.status = InstallationStatus.ACTIVE
        links = LinkStore(session, installation.id)
        await links.add(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, "A1")
        await links.add(LinkEntity.COMPANY, company_id, FortnoxType.CUSTOMER, "C1")
        await session.commit()
    await mark_initial_sync_done(services.session_factory, installation.id)
    return installation
