"""Reading and writing the Fortnox documents of won deals (shell)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from upsales_fortnox.domain.outbound.deal_documents import split_off
from upsales_fortnox.domain.outbound.document_body import (
    FortnoxDocument,
    held_first_write,
    locked_reason,
    without_held_row,
)
from upsales_fortnox.domain.outbound.document_decision import (
    DocumentDecision,
)
from upsales_fortnox.domain.outbound.reference import (
    ORDER_REFERENCE_FIELD,
    ORDER_REFERENCE_SEARCH_PARAMETER,
    order_reference,
)
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
    UpdateFortnoxDocument,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxMalformedResponse,
    FortnoxValidationError,
)
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.money.credits import lives_beside_its_credit
from upsales_fortnox.vocabulary import FortnoxType


class DocumentLocked(PermanentError):
    """The order changed after it was sent, and Fortnox no longer lets the document change
    (booked, cancelled, credited or invoiced): people must resolve it."""

    code = "fortnox_document_locked"


async def get_document(
    fortnox: FortnoxPort, fortnox_type: FortnoxType, number: int
) -> FortnoxDocument:
    if fortnox_type is FortnoxType.INVOICE:
        return await fortnox.get_invoice(number)
    return await fortnox.get_order(number)


async def listed_by_reference(
    fortnox: FortnoxPort, fortnox_type: FortnoxType, upsales_order_id: int
) -> list[FortnoxDocument]:
    """The documents of ``fortnox_type`` whose order reference names the Upsales order exactly
    and that are not cancelled, as the list shows them (one list call)."""
    reference = order_reference(upsales_order_id)
    search = {ORDER_REFERENCE_SEARCH_PARAMETER: reference}
    listing = (
        fortnox.iter_invoices(search=search)
        if fortnox_type is FortnoxType.INVOICE
        else fortnox.iter_orders(search=search)
    )
    return [
        item
        async for item in listing
        if (getattr(item, ORDER_REFERENCE_FIELD) or "").strip() == reference and not item.Cancelled
    ]


async def find_document_by_reference(
    fortnox: FortnoxPort,
    fortnox_type: FortnoxType,
    upsales_order_id: int,
    passed_over: Collection[str] = (),
    *,
    credit_invoices: bool,
) -> FortnoxDocument | None:
    """The document an earlier attempt made for this order, if any (one list call; one more
    to read the whole document when found). Cancelled documents are passed over, and so are
    ``passed_over`` (the numbers of documents the order's earlier links name), backorders
    (Fortnox's, never a create of ours), credit invoices and invoices credited in full (as the
    sync reads a credit: a cancelled one credits nothing, a partial one leaves the invoice live
    with ``credit_invoices``), which carry the reference too (a credit copies it): each costs
    one more read, and one of its credit for an invoice that names one."""
    numbers = [
        item.DocumentNumber
        for item in await listed_by_reference(fortnox, fortnox_type, upsales_order_id)
        if item.DocumentNumber is not None
        and not (isinstance(item, Order) and item.is_backorder)
        and str(item.DocumentNumber) not in passed_over
    ]
    for number in sorted(numbers):
        found = await get_document(fortnox, fortnox_type, number)
        if not isinstance(found, Invoice):
            return found
        if await lives_beside_its_credit(fortnox, found, credit_invoices=credit_invoices):
            return found
    return None


async def open_backorders(fortnox: FortnoxPort, upsales_order_id: int) -> list[Order]:
    """The backorders carrying the order's reference that are not cancelled, each read (one
    list call; one read each, as the list does not say whether one was invoiced)."""
    listed = await listed_by_reference(fortnox, FortnoxType.ORDER, upsales_order_id)
    numbers = [
        item.DocumentNumber
        for item in listed
        if isinstance(item, Order) and item.is_backorder and item.DocumentNumber is not None
    ]
    return [await fortnox.get_order(number) for number in numbers]


TakenByAnother = Callable[[Order], Awaitable[bool]]
"""Whether another deal is linked to a backorder (as committed now)."""


async def backorders_split_off(
    fortnox: FortnoxPort, order: Order, taken_by_another: TakenByAnother
) -> list[Order]:
    """The backorders Fortnox split off ``order``, one made in Fortnox (no reference of its
    deal, so :func:`open_backorders` cannot find them), that are not cancelled, each read:
    found among the backorders of its customer made after it by their rows
    (:func:`~upsales_fortnox.domain.outbound.deal_documents.split_off`), those another deal
    took left out (found by their rows, they may be the alike rest of another order). One list
    call; one read of each such backorder."""
    if not order.CustomerNumber or order.DocumentNumber is None:
        return []
    numbers = [
        item.DocumentNumber
        async for item in fortnox.iter_orders(search={"customernumber": order.CustomerNumber})
        if item.is_backorder
        and not item.Cancelled
        and item.DocumentNumber is not None
        and item.DocumentNumber > order.DocumentNumber
    ]
    read = [await fortnox.get_order(number) for number in sorted(numbers)]
    return [
        backorder
        for backorder in read
        if split_off(order, backorder) and not await taken_by_another(backorder)
    ]


async def create_document(fortnox: FortnoxPort, command: CreateFortnoxDocument) -> FortnoxDocument:
    """POST the document; Fortnox's answer (its number and rows)."""
    created: Invoice | Order
    if isinstance(command.document, Invoice):
        created = await fortnox.create_invoice(command.document)
    else:
        created = await fortnox.create_order(command.document)
    if created.DocumentNumber is None:
        raise FortnoxMalformedResponse("the created document has no DocumentNumber")
    return created


class RowsOutdated(Exception):
    """An update built from the rows a link keeps was refused, though the document may still
    change: it changed in Fortnox since our last write. ``current`` is how it is now."""

    def __init__(self, current: FortnoxDocument) -> None:
        super().__init__("the document changed in Fortnox since our last write")
        self.current = current


async def update_document(
    fortnox: FortnoxPort, command: UpdateFortnoxDocument, *, unread: bool = False
) -> FortnoxDocument:
    """PUT the document; Fortnox's answer. An update that holds a row (``held_row_id``) is
    two PUTs, the second leaving the held row out. A refusal because it locked meanwhile becomes
    :class:`DocumentLocked`; one of an ``unread`` update (built from the rows the link keeps)
    becomes :class:`RowsOutdated`, so the caller decides again on the document as it is."""
    try:
        held = command.held_row_id is not None
        first = held_first_write(command.document) if held else command.document
        written = await _put(fortnox, command.document_number, first)
        if held:  # the second write: the held row left out
            second = without_held_row(command.document, written)
            written = await _put(fortnox, command.document_number, second)
        return written
    except FortnoxValidationError:
        current = await get_document(fortnox, command.fortnox_type, command.document_number)
        reason = locked_reason(current)
        if reason is not None:
            raise DocumentLocked(
                f"Fortnox {command.fortnox_type.value} {command.document_number} can no longer "
                f"change: {reason}"
            ) from None
        if unread:
            raise RowsOutdated(current) from None
        raise


async def _put(fortnox: FortnoxPort, number: int, document: FortnoxDocument) -> FortnoxDocument:
    if isinstance(document, Invoice):
        return await fortnox.update_invoice(number, document)
    return await fortnox.update_order(number, document)


def document_missing(fortnox_type: FortnoxType, number: str) -> PermanentError:
    return PermanentError(
        f"the linked Fortnox {fortnox_type.value} {number} no longer exists",
        code="fortnox_document_missing",
    )


async def write_document(
    fortnox: FortnoxPort, decision: DocumentDecision, existing: FortnoxDocument | None
) -> FortnoxDocument | None:
    """Carry out a document decision in Fortnox: the document as it now is there (None for
    :class:`NoChange`). ``existing``: the document the decision was made on (None: unread)."""
    if isinstance(decision, NoChange):
        return None
    if isinstance(decision, RefuseDocumentChange):
        raise DocumentLocked(decision.reason)
    if isinstance(decision, CreateFortnoxDocument):
        return await create_document(fortnox, decision)
    if isinstance(decision, LinkFortnoxDocument):
        assert existing is not None
        return existing
    return await update_document(fortnox, decision, unread=existing is None)
