"""The other invoices of a deal Fortnox invoiced in parts, whose money the deal's order shows
with its own invoice's (:func:`~upsales_fortnox.domain.payment_status.deal_state`).

A deal sent as an order that the bookkeeper invoiced in part has its first invoice linked; the
rest, split off into a backorder, is invoiced in turn into an invoice that is not (only the
first document of a deal syncs). Both carry the deal's reference (``upsales-order:<id>``,
``facts.BACKORDER_KEEPS_ORDER_REFERENCE``), so the deal's invoices are found by it: one list
call, and one read of each other invoice it lists. Asked only for an invoice made of an order
whose reference names the deal; an invoice made directly of a deal, or of an order made in
Fortnox (no reference), is the deal's only one, as before.

The money of an invoice of the rest (its payment's event, its own) reaches the deal through the
invoice the deal links: :func:`deal_of_part`.
"""

from __future__ import annotations

from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.deal_rest import in_order_chain
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.outbound.fortnox_documents import listed_by_reference
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


def part_of(invoice: Invoice) -> int | None:
    """The deal whose part ``invoice`` is: the Upsales order its reference names, when it was
    made of an order (None otherwise, and for a credit invoice)."""
    if invoice.Credit or not in_order_chain(invoice):
        return None
    return parse_order_reference(invoice.ExternalInvoiceReference1)


async def other_parts(fortnox: FortnoxPort, invoice: Invoice, deal_id: int) -> list[Invoice]:
    """The deal's other invoices made of its orders, read, neither cancelled nor credit
    invoices; none (and no call) unless ``invoice`` is a part of deal ``deal_id``."""
    if part_of(invoice) != deal_id:
        return []
    parts = []
    for item in await listed_by_reference(fortnox, FortnoxType.INVOICE, deal_id):
        if item.DocumentNumber is None or str(item.DocumentNumber) == str(invoice.DocumentNumber):
            continue
        try:
            other = await fortnox.get_invoice(int(item.DocumentNumber))
        except FortnoxNotFound:
            continue
        if not other.Cancelled and part_of(other) == deal_id:
            parts.append(other)
    return parts


async def deal_of_part(job: InboundJob, invoice: Invoice) -> tuple[int, str] | None:
    """For an invoice the deal does not link, part of a deal: the deal and the invoice it links
    (when another one), whose money the deal shows with this one's."""
    deal_id = part_of(invoice)
    if deal_id is None:
        return None
    async with job.session_factory() as session:
        found = await LinkStore(session, job.installation_id).fortnox_ids_by_upsales(
            LinkEntity.ORDER, FortnoxType.INVOICE, [deal_id]
        )
    linked = found.get(deal_id)
    if linked is None or linked == str(invoice.DocumentNumber) or parse_digits(linked) is None:
        return None
    return deal_id, linked
