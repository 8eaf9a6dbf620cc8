"""A won Upsales order the Fortnox sync made of a Fortnox document, whose link that sync has not
recorded yet: not a deal to send to Fortnox.

The Fortnox sync writes the order, then records its link to the document. A run that stops in
between (the worker killed, the database out of reach as the link is saved) leaves the order
unlinked until its job runs again, while the order's own ``after_order_insert`` hook (or the
Upsales catch-up) queues the order's won-deal job, which may run first: sent, it would make a
second invoice (or order) of the bookkeeper's sale, and the Fortnox sync's retry would then find
the order linked to that one and leave the bookkeeper's document without it.

Such an order names its document as the import wrote it: in its description
(``Fortnox-faktura 12``; an order described otherwise costs no call more) and in the order field
``FORTNOX_DOCUMENT`` (``"invoice 12"``) where the account has it, which then names it, as the
Fortnox sync's retry looks it up
(:func:`~upsales_fortnox.sync.inbound.document_sync.sync_document`). While no order is linked
to that document, the deal is not sent: the document's sync is queued instead, which links it
to this order. An order naming a document linked to another order (a copy a sales rep made of
an imported order) is a deal of its own, and so is one whose description merely reads like the
import's (a sales rep may type ``Fortnox-faktura 12``): one naming a document of a type the
module does not import (no call), or, read from Fortnox (one call, for such orders only), one
Fortnox does not have, a credit invoice, a document the won-deal sync made, or one of another
customer than the order's company is linked to. The document's sync would link none of these to
the order, so skipping it would keep the sales rep's deal from Fortnox for good. The
``FORTNOX_DOCUMENT`` value, which the import alone writes, is taken at its word (no call): the
order waits however its document reads meanwhile (moved to another customer, say), as sending
it would make a second document of the same sale.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.domain.inbound.decide_document import MODULE_TYPES
from upsales_fortnox.domain.inbound.document_changes import (
    described_document,
    referenced_document,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.references import DOCUMENT_FIELD_ALIAS, parse_outbound_reference
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.links.repository.deal_link_read import DealLinks
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.field_ids import custom_field_ids
from upsales_fortnox.sync.results.outbound import WonDealResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, JobKind

_SYNC_JOBS: Final = {
    FortnoxType.INVOICE: JobKind.FORTNOX_INVOICE,
    FortnoxType.ORDER: JobKind.FORTNOX_ORDER,
    FortnoxType.OFFER: JobKind.FORTNOX_OFFER,
}


async def imported_unlinked(
    services: Services, context: InstallationContext, order: Order, links: DealLinks
) -> WonDealResult | None:
    """The result of a job of ``order`` (its links ``links``) when the Fortnox sync made it of
    a document no order is linked to yet (that document's sync is queued, to link it): skipped,
    not sent; None for a deal of the sales rep's (one linked, or sent before, is one too)."""
    if links.order is not None or links.sent_before is not None:
        return None
    made_of = described_document(order.description)
    if made_of is None:  # a sales rep's deal: no call more
        return None
    ids = await custom_field_ids(
        services.session_factory,
        context.installation_id,
        context.upsales,
        "order",
        [DOCUMENT_FIELD_ALIAS],
    )
    field_id = ids[DOCUMENT_FIELD_ALIAS]
    if field_id is not None:  # the reference, where the account has the field, names it
        values = [item.value for item in order.custom or () if item.fieldId == field_id]
        made_of = referenced_document(values[0]) if values else None
        if made_of is None:
            return None
    fortnox_type, number = made_of
    described_only = field_id is None  # the field is the import's own: no look-alike there
    if described_only and fortnox_type not in MODULE_TYPES[context.settings.sync_type]:
        return None  # the Fortnox sync imports no such document: a deal of the sales rep's
    async with services.session_factory() as session:
        if await LinkStore(session, context.installation_id).by_fortnox(fortnox_type, number):
            return None  # another order is that document's: this one is a deal of its own
    if described_only and not await _imported_as(
        context.fortnox, fortnox_type, number, links.company
    ):
        return None  # its sync would not link it: a deal of the sales rep's
    async with services.session_factory() as session:
        await enqueue(
            session,
            installation_id=context.installation_id,
            kind=_SYNC_JOBS[fortnox_type],
            entity_id=number,
        )
        await session.commit()
    reason = (
        f"the order was made of Fortnox {fortnox_type.value} {number} by the Fortnox sync, "
        "which has yet to link them (its sync is queued); it is not sent again"
    )
    return WonDealResult(order.id, "skipped", reason, document=FortnoxRef(fortnox_type, number))


async def _imported_as(
    fortnox: FortnoxPort, fortnox_type: FortnoxType, number: str, company: LinkView | None
) -> bool:
    """Whether the Fortnox sync makes an order of the document for the order's company (its
    customer linked to that company, as the sync links it before writing the order): Fortnox
    has it, and it is neither a credit invoice nor a document the won-deal sync made."""
    if company is None:
        return False
    try:
        if fortnox_type is FortnoxType.INVOICE:
            invoice: Invoice = await fortnox.get_invoice(int(number))
            if (
                invoice.Credit
                or parse_outbound_reference(invoice.ExternalInvoiceReference1) is not None
            ):
                return False
            customer = invoice.CustomerNumber
        elif fortnox_type is FortnoxType.ORDER:
            order = await fortnox.get_order(int(number))
            if parse_outbound_reference(order.ExternalInvoiceReference1) is not None:
                return False
            customer = order.CustomerNumber
        else:
            customer = (await fortnox.get_offer(int(number))).CustomerNumber
    except FortnoxNotFound:
        return False
    return (customer or "").strip() == company.fortnox_id
