"""Reading both sides of a period for the report, and queueing its repairs.

Cost: Upsales, one list call per page of the period's orders; Fortnox, one list call per page
of the period's documents (``fromdate``/``todate``) plus one read of each (its ``Net``, which
the Upsales order's value must equal unless it totals other quantities than the rows, and its
state; a credit invoice's and a cancelled one's count in the period's books alone:
:mod:`~upsales_fortnox.domain.report_ledger`), plus its credit invoice when it is credited. A
won order linked to a document dated outside the period costs one read of that document, and a
document whose order is dated outside it one read of that order (Upsales), so a pair whose sides
fall in two periods (a deal won with an earlier date than the day its document was made) is
compared in both, each side counted in its own period only. Where orders are reported, a lost
Upsales order whose Fortnox order is open costs one read of each invoice linked to it and of
the invoice the order names (``InvoiceReference``): an order whose invoices are all cancelled or
credited counts as closed, as the sync moved it to lost. So does an open order of ours that its
deal, won again, set aside (another order is linked to it), also once the invoice of its new
order has taken the deal's invoice link.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.domain.currency import HOME_CURRENCY
from upsales_fortnox.domain.inbound.decide_document import MODULE_TYPES
from upsales_fortnox.domain.inbound.document_changes import (
    document_net,
    is_cancelled,
    predecessor,
)
from upsales_fortnox.domain.references import parse_outbound_reference
from upsales_fortnox.domain.report_compare import (
    LOST,
    Deal,
    Difference,
    DifferenceKind,
    Document,
    Report,
    compare,
    invoices_to_read,
)
from upsales_fortnox.domain.report_ledger import LedgerEntry, ledger
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.filters import gte, lte
from upsales_fortnox.integrations.upsales.models import Order as UpsalesOrder
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.links.repository.link_reads import (
    ended_order_documents,
    linked_order_documents,
)
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.money.credits import credit_leaves_live, named_credit, reference
from upsales_fortnox.vocabulary import FortnoxType

REPORTED_TYPES: Final = frozenset({FortnoxType.INVOICE, FortnoxType.ORDER})
ZERO: Final = Decimal(0)


def _currency(value: str | None) -> str:
    return (value or HOME_CURRENCY).strip().upper() or HOME_CURRENCY


def _deal(order: UpsalesOrder) -> Deal:
    currency = _currency(order.currency)
    return Deal(order.id, order.value or ZERO, currency, order.probability, order.currencyRate)


async def _deals(context: InstallationContext, start: dt.date, end: dt.date) -> list[Deal]:
    orders = context.upsales.iterate_orders(
        gte("date", start.isoformat()), lte("date", end.isoformat())
    )
    return [_deal(order) async for order in orders]


async def _deals_of_other_periods(
    context: InstallationContext,
    documents: Iterable[Document],
    links: dict[tuple[FortnoxType, str], int],
    known: set[int],
    deleted: set[int],
) -> list[Deal]:
    """The Upsales orders, dated outside the period, of the period's documents (a deal won
    with an earlier date than the day its document was made): one read each, so the pair is
    compared in the document's period as in the order's. An order Upsales no longer has is
    left out (the document is then missing in Upsales) and put in ``deleted``."""
    found: list[Deal] = []
    linked = {(kind, order_id) for (kind, _), order_id in links.items()}
    for document in documents:
        key = (document.type, document.number)
        order_id = links.get(key, document.own_order)
        if order_id is None or order_id in known:
            continue
        replaced = document.closed and (document.type, order_id) in linked
        if key not in links and (document.backorder or replaced):
            continue  # passed over by the comparison (a backorder no deal took, or replaced)
        known.add(order_id)
        try:
            found.append(replace(_deal(await context.upsales.get_order(order_id)), in_period=False))
        except UpsalesNotFound:
            deleted.add(order_id)
    return found


async def _read(
    context: InstallationContext, kind: FortnoxType, number: str
) -> Invoice | Order | None:
    try:
        if kind is FortnoxType.INVOICE:
            return await context.fortnox.get_invoice(int(number))
        return await context.fortnox.get_order(int(number))
    except FortnoxNotFound:
        return None


async def _closed(context: InstallationContext, document: Invoice | Order) -> bool:
    if not is_cancelled(document):
        return False
    if not isinstance(document, Invoice) or document.Cancelled:
        return True
    credit = await named_credit(context.fortnox, document)
    live = credit_leaves_live(document, credit, credit_invoices=context.settings.credit_invoices)
    return not live


async def _document(
    context: InstallationContext,
    document: Invoice | Order,
    ended: set[tuple[FortnoxType, str]],
) -> Document | None:
    """``ended``: the documents whose cancellation is synced."""
    if isinstance(document, Invoice) and document.Credit:
        return None
    kind = FortnoxType.INVOICE if isinstance(document, Invoice) else FortnoxType.ORDER
    # the Upsales order's value as the import gives it: the document's Net, or its rows' net
    # when the Net totals other quantities (an order partly delivered)
    net = document_net(document)
    return Document(
        type=kind,
        number=str(document.DocumentNumber),
        net=net,
        currency=_currency(document.Currency),
        closed=await _closed(context, document),
        own_order=parse_outbound_reference(document.ExternalInvoiceReference1),
        backorder=isinstance(document, Order) and document.is_backorder,
        invoice=reference(document.InvoiceReference) if isinstance(document, Order) else None,
        rate=document.CurrencyRate,
        rate_unit=document.CurrencyUnit,
        ended_synced=(kind, str(document.DocumentNumber)) in ended,
    )


def _listed(
    context: InstallationContext, kind: FortnoxType, start: dt.date, end: dt.date
) -> AsyncIterator[Invoice | Order]:
    model: type[Invoice] | type[Order] = Invoice if kind is FortnoxType.INVOICE else Order
    return context.fortnox.iter_documents_between(model, start, end)


async def build_report(
    context: InstallationContext,
    session_factory: DbSessionFactory,
    start: dt.date,
    end: dt.date,
) -> Report:
    """The report of the period ``start``..``end`` (both included)."""
    deals = await _deals(context, start, end)
    links = await linked_order_documents(session_factory, context.installation_id, REPORTED_TYPES)
    ended = await ended_order_documents(session_factory, context.installation_id, REPORTED_TYPES)
    types = MODULE_TYPES[context.settings.sync_type] & REPORTED_TYPES
    documents: dict[tuple[FortnoxType, str], Document] = {}
    entries: list[LedgerEntry] = []
    for kind in sorted(types):
        read: set[str] = set()
        async for item in _listed(context, kind, start, end):
            number = str(item.DocumentNumber)
            if number in read:
                continue  # listed again: a document moved into the period between two pages
            read.add(number)
            full = await _read(context, kind, number)
            if isinstance(full, Invoice):
                entries.append(_entry(full))
            found = await _document(context, full, ended) if full is not None else None
            if found is not None:
                documents[(found.type, found.number)] = found
    listed = list(documents.values())
    won = {deal.id for deal in deals if deal.won}
    for key, order_id in links.items():
        if order_id in won and key not in documents and key[0] in types:
            full = await _read(context, *key)
            found = await _document(context, full, ended) if full is not None else None
            if found is not None:
                documents[key] = replace(found, in_period=False)
    deleted: set[int] = set()
    known = {deal.id for deal in deals}
    deals += await _deals_of_other_periods(context, listed, links, known, deleted)
    if FortnoxType.INVOICE not in types:
        await _close_orders_by_their_invoices(context, documents, links, deals)
    report = compare(deals, documents.values(), links, deleted)
    report.ledger = ledger(entries)
    return report


def _entry(invoice: Invoice) -> LedgerEntry:
    """An invoice of the period as the books hold it: its own ``Net`` (a credit invoice's own,
    not that of the invoice it credits), currency and rate."""
    return LedgerEntry(
        currency=_currency(invoice.Currency),
        net=invoice.Net or ZERO,
        credit=bool(invoice.Credit),
        cancelled=bool(invoice.Cancelled),
        rate=invoice.CurrencyRate,
        rate_unit=invoice.CurrencyUnit,
        booked=bool(invoice.Booked),
    )


async def _close_orders_by_their_invoices(
    context: InstallationContext,
    documents: dict[tuple[FortnoxType, str], Document],
    links: dict[tuple[FortnoxType, str], int],
    deals: list[Deal],
) -> None:
    """Count as closed each open Fortnox order whose invoices (the one it names, and those
    linked to its Upsales order) are all cancelled or credited, where that is read
    (:func:`invoices_to_read`): a lost deal's (the sync moved it to lost for them), and one its
    deal, won again, set aside."""
    lost = {deal.id for deal in deals if deal.probability == LOST}
    invoices: dict[int, list[str]] = {}
    for (kind, number), linked in links.items():
        if kind is FortnoxType.INVOICE:
            invoices.setdefault(linked, []).append(number)
    for key, order_id in invoices_to_read(documents.values(), links, lost).items():
        document = documents[key]
        # its own invoice too: the deal's invoice link moves to the invoice of its new order
        made = [document.invoice] if document.invoice is not None else []
        numbers = dict.fromkeys([*made, *invoices.get(order_id, [])])
        if await _invoices_closed(context, document.number, numbers):
            documents[key] = replace(document, closed=True)


async def _invoices_closed(
    context: InstallationContext, order_number: str, invoice_numbers: Iterable[str]
) -> bool:
    """Whether Fortnox order ``order_number`` was invoiced and every invoice made of it is
    cancelled or credited in full (the sync then moves its Upsales order to lost)."""
    closed: list[bool] = []
    for number in invoice_numbers:
        invoice = await _read(context, FortnoxType.INVOICE, number)
        if isinstance(invoice, Invoice) and predecessor(invoice) == (
            FortnoxType.ORDER,
            order_number,
        ):
            closed.append(await _closed(context, invoice))
    return bool(closed) and all(closed)


async def queue_repairs(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    differences: list[Difference],
) -> list[int]:
    """Queue each difference's repair job (coalesced with one already queued); the job ids.

    An amount (or an order taken back from won) repaired from Fortnox forgets the link's
    fingerprint first, so the document is written again even though Fortnox did not change it
    (Upsales did)."""
    ids: list[int] = []
    async with session_factory() as session:
        links = LinkStore(session, installation_id)
        for difference in differences:
            repair = difference.repair
            refresh = difference.kind is DifferenceKind.AMOUNT_DIFFERS or difference.refresh
            if refresh and difference.fortnox_document:
                kind, number = difference.fortnox_document.split(" ", 1)
                await links.forget_fingerprint(FortnoxType(kind), number)
            queued = await enqueue(
                session,
                installation_id=installation_id,
                kind=repair.job_kind,
                entity_id=repair.entity_id,
            )
            ids.append(queued.job_id)
        await session.commit()
    return ids
