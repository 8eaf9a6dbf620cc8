"""Whether the rest of a deal lives in Fortnox beside one of its documents that was cancelled
(the shell of ``rest_live`` in :mod:`upsales_fortnox.domain.inbound.decide_document`).

A deal sent as an order that the bookkeeper invoiced in part lives on in the backorder Fortnox
split off its rest, and in the invoice made of that backorder: the cancellation (or full credit)
of one part leaves the deal won while another lives. The deal's orders are found by its
reference (``facts.BACKORDER_KEEPS_ORDER_REFERENCE``; without it a backorder is not found, and
the deal goes to lost as it did before).

Asked only when a cancellation would move the deal to lost, and only of a document in an
order's chain (an order, or an invoice made of one). Cost: one list call of the orders carrying
the deal's reference; one read of each that is not cancelled, other than the document and the
order it was made of; one read of the invoice made of each invoiced one (and of its credit
invoice when credited). It stops at the first part that lives.
The order a cancelled invoice was made of is passed over: Fortnox keeps it invoiced into that
invoice (``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``; were it opened again, the deal goes
to lost as before, and takes it back when won again).

An order made in Fortnox (an imported deal) carries no reference of the deal, nor does the
backorder of its rest: when no part is found by the reference, the cancelled invoice's order
is read and its open backorder found by its customer and rows (:func:`rest_split_off`, as a
deal won again finds it). The caller links it to the deal, whose document it then is, so its
own later cancellation moves the deal to lost.
"""

from __future__ import annotations

from upsales_fortnox.domain.inbound.document_changes import (
    FortnoxDocument,
    document_number,
    predecessor,
)
from upsales_fortnox.domain.outbound.deal_documents import has_rest, rest_to_take
from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.money.credits import lives_beside_its_credit
from upsales_fortnox.sync.outbound.fortnox_documents import (
    TakenByAnother,
    backorders_split_off,
    listed_by_reference,
)
from upsales_fortnox.vocabulary import FortnoxType


def _number(value: str | None) -> str | None:
    """A document number a reference field holds (None when empty or ``0``)."""
    number = (value or "").strip()
    return number if number and number != "0" else None


def in_order_chain(document: FortnoxDocument) -> bool:
    """An order, or an invoice made of one: a document whose deal may have a rest elsewhere."""
    if isinstance(document, Order):
        return True
    made_of = predecessor(document) if isinstance(document, Invoice) else None
    return made_of is not None and made_of[0] is FortnoxType.ORDER


async def rest_lives(
    fortnox: FortnoxPort,
    document: FortnoxDocument,
    upsales_order_id: int,
    *,
    credit_invoices: bool,
) -> bool:
    """Whether another order of the deal ``upsales_order_id`` (its reference) lives beside the
    cancelled ``document``: open (neither cancelled nor invoiced), or invoiced into an invoice
    that is neither cancelled nor credited in full (a partial credit leaves it live when
    ``credit_invoices``, a cancelled credit whatever the setting)."""
    if not in_order_chain(document):
        return False
    own = document_number(document)
    passed_over = {own} if isinstance(document, Order) else set()
    made_of = predecessor(document) if isinstance(document, Invoice) else None
    if made_of is not None:
        passed_over.add(made_of[1])
    listed = await listed_by_reference(fortnox, FortnoxType.ORDER, upsales_order_id)
    numbers = [
        item.DocumentNumber
        for item in listed
        if item.DocumentNumber is not None and str(item.DocumentNumber) not in passed_over
    ]
    for number in numbers:
        try:
            order = await fortnox.get_order(number)
        except FortnoxNotFound:
            continue
        if order.Cancelled:
            continue
        invoice = _number(order.InvoiceReference)
        if invoice is None:
            return True
        if isinstance(document, Invoice) and invoice == own:
            continue
        if await invoice_lives(fortnox, invoice, credit_invoices=credit_invoices):
            return True
    return False


async def invoice_lives(fortnox: FortnoxPort, number: str, *, credit_invoices: bool) -> bool:
    """Whether Fortnox invoice ``number`` is neither cancelled nor credited in full (any credit
    that stands counts as full unless ``credit_invoices``, a cancelled one as none, as the sync
    reads it): one read, one more of its credit invoice when it names one."""
    invoice = await read_invoice(fortnox, number)
    if invoice is None:
        return False
    return await lives_beside_its_credit(fortnox, invoice, credit_invoices=credit_invoices)


async def read_invoice(fortnox: FortnoxPort, number: str) -> Invoice | None:
    """Fortnox invoice ``number``, as a document reference names it (one read; None, with no
    call, when it is no number, and None when Fortnox no longer has it)."""
    invoice_number = parse_digits(number)
    if invoice_number is None:
        return None
    try:
        return await fortnox.get_invoice(invoice_number)
    except FortnoxNotFound:
        return None


async def rest_split_off(
    fortnox: FortnoxPort,
    document: FortnoxDocument,
    upsales_order_id: int,
    taken_by_another: TakenByAnother,
) -> Order | None:
    """The open backorder holding the rest of the order the cancelled invoice ``document`` was
    made of, when that order carries no reference of the deal ``upsales_order_id`` (made in
    Fortnox): found among its customer's later backorders by its rows, those another deal took
    left out (:func:`~upsales_fortnox.sync.outbound.fortnox_documents.backorders_split_off`),
    and none should several fit (:func:`rest_to_take`). None for any other document, or an
    order with the deal's reference (:func:`rest_lives` searched its orders). Cost: one read of
    that order; when it was invoiced short of what was ordered, one list call of its
    customer's orders and one read of each later backorder."""
    made_of = predecessor(document) if isinstance(document, Invoice) else None
    order_number = parse_digits(made_of[1]) if made_of is not None else None
    if made_of is None or made_of[0] is not FortnoxType.ORDER or order_number is None:
        return None
    try:
        order = await fortnox.get_order(order_number)
    except FortnoxNotFound:
        return None
    if parse_order_reference(order.ExternalInvoiceReference1) == upsales_order_id:
        return None
    if not has_rest(order):  # invoiced whole: no backorder split off it
        return None
    return rest_to_take(await backorders_split_off(fortnox, order, taken_by_another), None)
