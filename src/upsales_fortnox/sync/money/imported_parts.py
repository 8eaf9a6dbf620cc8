"""The parts of a deal imported from an order made in Fortnox that the bookkeeper invoiced in
parts: the money of each invoice the deal owns, whatever invoice an event names.

Such an order carries no reference of the deal, nor does the backorder Fortnox split off its
rest, nor the invoice made of that backorder, so :mod:`.deal_parts` (which finds a deal's parts
by its reference) sees the invoice the deal links as its only part: the rest's invoice's money
and its payments would never reach the deal. Here the rest is found by its customer and rows,
as a deal won again finds it (``fortnox_documents.backorders_split_off``):

* :func:`imported_parts`, for the invoice the deal links (made of the deal's order): the
  backorder split off that order (the only one that fits as Fortnox has them when read: of
  several alike, as of the customer's orders short of the same stock, none is taken; nor one
  whose owner is another deal, below), the invoice made of it, and so on down the chain should
  that backorder too be invoiced in part; an open one's total is still to be invoiced. Cost:
  one read of the order; when it was invoiced short of what was ordered, per backorder down the
  chain two list calls of the customer's orders, one read of each later backorder, a database
  read, one read of each order a deal links made between the order and its backorder, and one
  read of the backorder's invoice.
* :func:`deal_of_imported_rest`, for an invoice the deal does not link, made of a backorder
  without a reference (its payment's event, its own): the deal whose linked order that backorder
  was split off and the invoice it links.
* A backorder's owner is, of the customer's earlier orders without a reference that a deal
  links, the latest whose rest it is: an earlier deal whose own backorder was cancelled (or
  never made) and whose rest is alike does not take a later deal's backorder and its money.
  Cost: one list call of the customer's orders, a database read, and a read of each such order,
  the latest first, until one fits (at most :data:`MAX_OWNER_READS`).
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.domain.inbound.document_changes import predecessor
from upsales_fortnox.domain.outbound.deal_documents import has_rest, split_off
from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.sync.deal_rest import read_invoice
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.credits import reference
from upsales_fortnox.sync.money.deal_parts import OtherParts, linked_invoice
from upsales_fortnox.sync.outbound.fortnox_documents import backorders_split_off
from upsales_fortnox.vocabulary import FortnoxType

MAX_CHAIN: Final = 20
"""How many backorders down one order's chain are followed (each invoiced in part in turn)."""
MAX_OWNER_READS: Final = 20
"""How many of a customer's orders are read, the latest first, to find a backorder's owner."""


async def _order(job: InboundJob, number: str | None) -> Order | None:
    digits = parse_digits(number or "")
    if digits is None:
        return None
    try:
        return await job.context.fortnox.get_order(digits)
    except FortnoxNotFound:
        return None


def _made_of_order(invoice: Invoice) -> str | None:
    made_of = predecessor(invoice)
    return made_of[1] if made_of is not None and made_of[0] is FortnoxType.ORDER else None


async def _rest_of(
    job: InboundJob, order: Order, deal_id: int, *, owned: bool = False
) -> Order | None:
    """The one backorder split off ``order`` (imported, no reference) that no other deal took,
    and whose owner (:func:`_owner`; ``owned``: found already) ``order`` is."""
    if not has_rest(order):
        return None

    async def taken_by_another(backorder: Order) -> bool:
        taken = await job.link_by_fortnox(FortnoxType.ORDER, str(backorder.DocumentNumber))
        return taken is not None and taken.upsales_id != deal_id

    found = await backorders_split_off(job.context.fortnox, order, taken_by_another)
    if len(found) != 1:
        return None
    owner = None if owned else await _owner(job, found[0], (order, deal_id))
    return found[0] if owned or (owner is not None and owner[1] is order) else None


async def _owner(
    job: InboundJob, backorder: Order, known: tuple[Order, int] | None = None
) -> tuple[int, Order] | None:
    """The deal ``backorder`` was split off, and its order: of the customer's earlier orders
    without a reference that a deal links (and ``known``, an order read with its deal), the
    latest whose rest it is. An earlier order of another deal with the same rest (its own
    backorder cancelled, or never made) does not take the rest of a later one. At most
    :data:`MAX_OWNER_READS` orders are read, the latest first (None past them)."""
    if backorder.DocumentNumber is None:
        return None
    earlier = [
        str(item.DocumentNumber)
        async for item in job.context.fortnox.iter_orders(
            search={"customernumber": backorder.CustomerNumber or ""}
        )
        if item.DocumentNumber is not None
        and item.DocumentNumber < backorder.DocumentNumber
        and not item.Cancelled
        and parse_order_reference(item.ExternalInvoiceReference1) is None
    ]
    deals = await job.upsales_ids_by_fortnox(FortnoxType.ORDER, earlier)
    read = {} if known is None else {str(known[0].DocumentNumber): known[0]}
    if known is not None:
        deals[str(known[0].DocumentNumber)] = known[1]
    for number in sorted(deals, key=int, reverse=True)[:MAX_OWNER_READS]:
        order = read[number] if number in read else await _order(job, number)
        if order is not None and split_off(order, backorder):
            return deals[number], order
    return None


async def imported_parts(job: InboundJob, invoice: Invoice, deal_id: int) -> OtherParts:
    """The deal's other invoices and what its open backorder holds, for ``invoice``, the one it
    links, made of an order made in Fortnox (nothing, with no call, for any other invoice)."""
    if invoice.Credit or parse_order_reference(invoice.ExternalInvoiceReference1) is not None:
        return OtherParts()
    order = await _order(job, _made_of_order(invoice))
    if order is None or parse_order_reference(order.ExternalInvoiceReference1) is not None:
        return OtherParts()
    parts, own = OtherParts(), invoice.DocumentNumber
    for _ in range(MAX_CHAIN):
        rest = await _rest_of(job, order, deal_id)
        if rest is None or rest.Cancelled:
            break
        number = reference(rest.InvoiceReference)
        if number is None:
            return OtherParts(parts.invoices, parts.to_invoice + (rest.Total or 0))
        made = await read_invoice(job.context.fortnox, number)
        if made is not None and not made.Cancelled and made.DocumentNumber != own:
            parts.invoices.append(made)
        order = rest
    return parts


async def deal_of_imported_rest(job: InboundJob, invoice: Invoice) -> tuple[int, str] | None:
    """For an invoice no deal links, made of a backorder without a reference: the deal whose
    linked order (made in Fortnox) that backorder was split off, and the invoice the deal links
    (None when none fits, or the deal links no invoice)."""
    if invoice.Credit:
        return None
    backorder = await _order(job, _made_of_order(invoice))
    if backorder is None or not backorder.is_backorder or backorder.DocumentNumber is None:
        return None
    if parse_order_reference(backorder.ExternalInvoiceReference1) is not None:
        return None
    owner = await _owner(job, backorder)
    if owner is None:
        return None
    deal_id, order = owner
    rest = await _rest_of(job, order, deal_id, owned=True)
    if rest is None or rest.DocumentNumber != backorder.DocumentNumber:
        return None
    linked = await linked_invoice(job, deal_id)
    return (deal_id, linked) if linked is not None else None
