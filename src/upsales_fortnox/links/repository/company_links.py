"""What linking a company to its Fortnox customer settles besides the link, in the link's own
transaction (whichever sync makes it)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.jobs.store.enqueue import enqueue
from upsales_fortnox.links.repository.customer_create_notes import forget_company_customer_creates
from upsales_fortnox.vocabulary import JobKind


async def company_linked(
    session: AsyncSession, installation_id: uuid.UUID, company_id: int, sync_company: bool
) -> None:
    """In the transaction that links the company to a customer: no deal waits for a create of
    its customer any more (:func:`.customer_create_notes.forget_company_customer_creates`); with
    ``sync_company``, the company's changes since the link's synced fields are queued for the
    customer."""
    await forget_company_customer_creates(
        await session.connection(), installation_id, (company_id,)
    )
    if sync_company:
        await enqueue(
            session,
            installation_id=installation_id,
            kind=JobKind.UPSALES_COMPANY,
            entity_id=str(company_id),
        )
