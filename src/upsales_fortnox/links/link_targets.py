"""Both records a link set by hand names exist: read once each before the link is stored.

A link to a record that is not there (a customer number mistyped) would pass for settled while
the sync skipped its changes as "the Fortnox customer no longer exists". An active installation
has both records read; one a system answers is not there is a 422 (``upsales_record_not_found``,
``fortnox_record_not_found``) and nothing is stored. A check that cannot be made (the
installation not active, its Upsales key missing, unreadable or refused, its Fortnox login
refused, a system that does not answer) leaves the link stored as given, as before there was a
check: setting a link by hand is a repair, wanted most when something else is broken.
"""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.integrations.errors import SyncError
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound, FortnoxNumberUnreadable
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import context_of, load_installation
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, LinkEntity

logger = logging.getLogger(__name__)


async def _read_upsales(upsales: UpsalesPort, entity: LinkEntity, upsales_id: int) -> None:
    match entity:
        case LinkEntity.COMPANY:
            await upsales.get_company(upsales_id)
        case LinkEntity.PRODUCT:
            await upsales.get_product(upsales_id)
        case LinkEntity.ORDER:
            await upsales.get_order(upsales_id)


async def _read_fortnox(fortnox: FortnoxPort, fortnox_type: FortnoxType, number: str) -> None:
    match fortnox_type:
        case FortnoxType.CUSTOMER:
            await fortnox.get_customer(number)
        case FortnoxType.ARTICLE:
            await fortnox.get_article(number)
        case FortnoxType.ORDER:
            await fortnox.get_order(int(number))
        case FortnoxType.INVOICE:
            await fortnox.get_invoice(int(number))
        case FortnoxType.OFFER:
            await fortnox.get_offer(int(number))


async def check_link_targets(
    services: Services,
    installation_id: uuid.UUID,
    entity: LinkEntity,
    upsales_id: int,
    fortnox_type: FortnoxType,
    fortnox_id: str,
) -> None:
    """Raise a 422 :class:`ApiError` naming the record a system answers is not there."""
    installation = await load_installation(services, installation_id)
    if installation.status != InstallationStatus.ACTIVE:
        return
    try:
        context = context_of(services, installation)
        try:
            await _read_upsales(context.upsales, entity, upsales_id)
        except UpsalesNotFound as exc:
            raise ApiError(
                422, "upsales_record_not_found", f"Upsales has no {entity} {upsales_id}"
            ) from exc
        try:
            await _read_fortnox(context.fortnox, fortnox_type, fortnox_id)
        except FortnoxNumberUnreadable:
            pass  # listed in Fortnox, though its own address does not answer
        except FortnoxNotFound as exc:
            raise ApiError(
                422, "fortnox_record_not_found", f"Fortnox has no {fortnox_type} {fortnox_id}"
            ) from exc
    except (SyncError, DecryptionError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        logger.info("a link set by hand is stored unchecked (%s)", code)
