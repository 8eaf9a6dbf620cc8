"""The ``upsales.order`` job of a deal Upsales no longer has (its ``after_order_delete`` hook,
or any later hint): one read of its links, no Fortnox call, unless the deal was never linked to
a document while an earlier attempt's intent says its create was sent (the process died
between Fortnox's answer and the link): that document is searched for by its reference, as the
deal's retry would (its wait for a create that may still land kept on the deal's intent, as
the retry keeps it), and nothing is linked. Its invoice or order, if one lives, is left in
Fortnox (one linked stays linked); the job's result names it under the code
``order_deleted_document_kept`` (:mod:`upsales_fortnox.domain.outbound.deleted_deal`), and a
warning line under that code tells operators' log-based alerting."""

from __future__ import annotations

import logging

from upsales_fortnox.domain.inbound.document_changes import document_type
from upsales_fortnox.domain.outbound.deleted_deal import deleted_deal
from upsales_fortnox.domain.outbound.mapping import fortnox_type_for
from upsales_fortnox.domain.outbound.order_gate import ORDER_DELETED_DOCUMENT_KEPT
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.outbound.earlier_create import find_earlier_document
from upsales_fortnox.sync.results.outbound import WonDealResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

logger = logging.getLogger(__name__)


async def deleted_order_result(
    services: Services, context: InstallationContext, order_id: int
) -> WonDealResult:
    """The result of the job of order ``order_id``, found deleted in Upsales."""
    installation_id = context.installation_id
    async with services.session_factory() as session:
        links = await LinkStore(session, installation_id).all_of_upsales(LinkEntity.ORDER, order_id)
    deleted = deleted_deal(links)
    if not links:  # never linked: its create may have been sent all the same
        deleted = deleted_deal(links, await _made_unlinked(services, context, order_id))
    kept = deleted.kept
    if kept is None:
        return WonDealResult(order_id, "skipped", deleted.reason)
    document = FortnoxRef(*kept)
    logger.warning(  # for log-based alerting: a person is to decide on the document
        "%s installation=%s upsales_order=%s %s=%s",
        ORDER_DELETED_DOCUMENT_KEPT,
        installation_id,
        order_id,
        document.key,
        document.number,
    )
    return WonDealResult(order_id, "skipped", deleted.reason, document=document, linked_before=True)


async def _made_unlinked(
    services: Services, context: InstallationContext, order_id: int
) -> tuple[FortnoxType, str] | None:
    """The invoice or order an earlier attempt of the deal created, of a deal no link names:
    searched for only when that attempt's intent says its create was sent (waiting, as the
    deal's retry does, while it may still land: :class:`~.earlier_create.EarlierCreateMayLand`)."""
    deal_links = WonDealLinks(services.session_factory, context.installation_id)
    sent_as = fortnox_type_for(context.settings.sync_type)
    read = await deal_links.read(order_id, None, (), intent=sent_as)
    if read.order is not None or read.sent_before is None:
        return None
    found = await find_earlier_document(
        context.fortnox,
        deal_links,
        read.sent_before,
        order_id,
        settle_seconds=services.settings.fortnox_create_settle_seconds,
        passed_over=read.ended,
        credit_invoices=context.settings.credit_invoices,
    )
    return None if found is None else (document_type(found), str(found.DocumentNumber))
