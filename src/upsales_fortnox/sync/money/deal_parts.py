"""The other parts of a deal Fortnox invoiced in parts, whose money the deal's order shows
with its own invoice's (:func:`~upsales_fortnox.domain.payment_status.deal_state`).

A deal sent as an order that the bookkeeper invoiced in part has its first invoice linked; the
rest, split off into a backorder, is invoiced in turn into an invoice that is not (only the
first document of a deal syncs). Until then the backorder's total is still to be invoiced, and
left to pay. The backorder, and the invoice made of it, carry the deal's reference
(``upsales-order:<id>``, ``facts.BACKORDER_KEEPS_ORDER_REFERENCE``), so the deal's orders are
found by it, and each one's invoice by its ``InvoiceReference``. Asked only for an invoice made
of an order whose reference names the deal; an invoice made directly of a deal, or of an order
made in Fortnox (no reference), is the deal's only part, as before.

Cost: one list call of the deal's orders; one read of each that is not cancelled, other than the
order the invoice was made of, and one read of the invoice made of each invoiced one. A deal
invoiced whole lists its one order and reads nothing more (the list replaces the list of its
invoices it cost before); one invoiced in part reads its backorder (one call more than before,
to tell it open), and that backorder's invoice once it has one.

The money of an invoice of the rest (its payment's event, its own) reaches the deal through the
invoice the deal links: :func:`deal_of_part`; a backorder's own events through
:mod:`.backorder_money`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from upsales_fortnox.domain.inbound.document_changes import predecessor
from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.deal_rest import in_order_chain, read_invoice
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.credits import reference
from upsales_fortnox.sync.outbound.fortnox_documents import listed_by_reference
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

ZERO = Decimal(0)


@dataclass(frozen=True)
class OtherParts:
    """What of a deal lives in Fortnox beside the invoice it links."""

    invoices: list[Invoice] = field(default_factory=list)
    """Its other invoices made of its orders, read, neither cancelled nor credit invoices."""
    to_invoice: Decimal = ZERO
    """The totals (VAT included) of its open backorders: neither cancelled nor invoiced."""


def part_of(invoice: Invoice) -> int | None:
    """The deal whose part ``invoice`` is: the Upsales order its reference names, when it was
    made of an order (None otherwise, and for a credit invoice)."""
    if invoice.Credit or not in_order_chain(invoice):
        return None
    return parse_order_reference(invoice.ExternalInvoiceReference1)


async def other_parts(
    fortnox: FortnoxPort, invoice: Invoice, deal_id: int, read: Order | None = None
) -> OtherParts:
    """The deal's other invoices and what its open backorders hold (see the module's note for
    the cost); nothing (and no call) unless ``invoice`` is a part of deal ``deal_id``.
    ``read``: an order of the deal read already (a backorder's own event), not read again."""
    if part_of(invoice) != deal_id:
        return OtherParts()
    made_of = predecessor(invoice)
    own_order = made_of[1] if made_of is not None else None
    invoices: list[Invoice] = []
    to_invoice = ZERO
    for item in await listed_by_reference(fortnox, FortnoxType.ORDER, deal_id):
        if item.DocumentNumber is None or str(item.DocumentNumber) == own_order:
            continue
        same = read is not None and read.DocumentNumber == item.DocumentNumber
        order = read if same else await _read_order(fortnox, int(item.DocumentNumber))
        if order is None or order.Cancelled:
            continue
        number = reference(order.InvoiceReference)
        if number is None:
            if order.is_backorder and order.Total:
                to_invoice += order.Total
            continue
        if number == str(invoice.DocumentNumber):
            continue
        other = await read_invoice(fortnox, number)
        if other is not None and not other.Cancelled and part_of(other) == deal_id:
            invoices.append(other)
    return OtherParts(invoices, to_invoice)


async def _read_order(fortnox: FortnoxPort, number: int) -> Order | None:
    try:
        return await fortnox.get_order(number)
    except FortnoxNotFound:
        return None


async def deal_of_part(job: InboundJob, invoice: Invoice) -> tuple[int, str] | None:
    """For an invoice the deal does not link, part of a deal: the deal and the invoice it links
    (when another one), whose money the deal shows with this one's."""
    deal_id = part_of(invoice)
    if deal_id is None:
        return None
    linked = await linked_invoice(job, deal_id)
    if linked is None or linked == str(invoice.DocumentNumber):
        return None
    return deal_id, linked


async def linked_invoice(job: InboundJob, deal_id: int) -> str | None:
    """The number of the Fortnox invoice the deal links (None when it links none)."""
    async with job.session_factory() as session:
        found = await LinkStore(session, job.installation_id).fortnox_ids_by_upsales(
            LinkEntity.ORDER, FortnoxType.INVOICE, [deal_id]
        )
    linked = found.get(deal_id)
    return linked if linked is not None and parse_digits(linked) is not None else None
