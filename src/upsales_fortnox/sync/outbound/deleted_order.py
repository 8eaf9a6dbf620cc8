"""The ``upsales.order`` job of a deal Upsales no longer has (its ``after_order_delete`` hook,
or any later hint): one read of its links, no Fortnox call. Its invoice or order, if one lives,
is left in Fortnox and stays linked; the job's result names it under the code
``order_deleted_document_kept`` (:mod:`upsales_fortnox.domain.outbound.deleted_deal`), and a
warning line under that code tells operators' log-based alerting."""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.domain.outbound.deleted_deal import deleted_deal
from upsales_fortnox.domain.outbound.order_gate import ORDER_DELETED_DOCUMENT_KEPT
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.services import Services
from upsales_fortnox.sync.results.outbound import WonDealResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import LinkEntity

logger = logging.getLogger(__name__)


async def deleted_order_result(
    services: Services, installation_id: uuid.UUID, order_id: int
) -> WonDealResult:
    """The result of the job of order ``order_id``, found deleted in Upsales."""
    async with services.session_factory() as session:
        links = await LinkStore(session, installation_id).all_of_upsales(LinkEntity.ORDER, order_id)
    deleted = deleted_deal(links)
    kept = deleted.kept
    if kept is None:
        return WonDealResult(order_id, "skipped", deleted.reason)
    document = FortnoxRef(kept.fortnox_type, kept.fortnox_id)
    logger.warning(  # for log-based alerting: a person is to decide on the document
        "%s installation=%s upsales_order=%s %s=%s",
        ORDER_DELETED_DOCUMENT_KEPT,
        installation_id,
        order_id,
        document.key,
        document.number,
    )
    return WonDealResult(order_id, "skipped", deleted.reason, document=document, linked_before=True)
