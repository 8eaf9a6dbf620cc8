"""Matching Upsales orders with Fortnox documents, and every difference (pure).

Inputs: the Upsales orders of the period, the Fortnox documents of the synced module (orders or
invoices; never credit invoices or offers), and the links. A document belongs to the order its
link names, else to the order its outbound reference (``upsales-order:<id>``) names. A backorder
holds the rest of an order invoiced in part, whose value (by its ordered rows) counts that rest
already: it is passed over, unless linked (a deal won again took it for its document).

Differences, each with the job that repairs it:

* ``missing_in_fortnox``: a won order with no document → ``upsales.order`` (sends it);
* ``missing_in_upsales``: an open document with no order → ``fortnox.<type>`` (imports it;
  one whose order was deleted in Upsales is not brought back, and the report says the order was
  deleted: the document is the bookkeeper's to cancel or credit, should the deal be off);
* ``stage_differs``: a won order whose document is closed (cancelled or fully credited) →
  ``fortnox.<type>`` (moves it to the lost stage), or ``upsales.order`` once that cancellation
  is synced (the order was won again since: sending it makes its new document; one taken back
  to an opportunity since is no difference); a lost order whose document is open →
  ``upsales.order``; an order neither won nor lost (taken back to an opportunity) whose
  document is open → the side that was the source: ``upsales.order`` for a document we created
  (it says why nothing is sent), else ``fortnox.<type>`` (wins the order again);
* ``amount_differs``: an open document and a won order whose currency differs, whose value to
  the öre differs from the document's ``Net`` (Fortnox's own figure, not one recomputed from its
  rows, so a row the mapping got wrong shows; the rows' net only where that ``Net`` totals other
  quantities, an order partly delivered, as the import does), or whose rates value a foreign
  currency otherwise in SEK (:func:`~upsales_fortnox.domain.currency.rates_agree`) → the side
  that was the source:
  ``upsales.order`` for a document we created, else ``fortnox.<type>``.

A closed document of ours whose order is linked to another document of its type now (the deal
won again after it ended, its new document taking its link) is that order's no more: no
difference, and not counted. An open one is no document of that order either (a copy of its
document carrying its reference, say: the deal in Fortnox twice): ``missing_in_upsales``. Where
none of its type is linked, the first open one carrying the order's reference stands for it
and every other is that copy, so a clean report's totals always agree (see Totals).

Where orders are reported (not invoices), an order Fortnox turned into an invoice stands for its
deal while that invoice lives: it is open. It is closed once every invoice made of it is
cancelled or credited in full (Fortnox keeps it invoiced then,
``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``); :func:`invoices_to_read` says when the
report reads those invoices to tell. So the order a deal won again set aside for its new one is
closed, and the deal's value is counted once, in the new order.

Totals: won orders and open documents, counted and summed (net, to the öre) per currency, each
in the period of its own date only (an order's date, a document's ``InvoiceDate`` or
``OrderDate``): a pair dated in two periods is compared in both, and each period names the side
dated in the other (``documented_elsewhere``, ``won_elsewhere``), so a clean report's Upsales
total, less the first, plus the second, is its Fortnox total.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from upsales_fortnox.core.texts import Phrase
from upsales_fortnox.domain.currency import HOME_CURRENCY, foreign_currency, rates_agree
from upsales_fortnox.domain.report_ledger import CurrencyLedger, Totals, add
from upsales_fortnox.vocabulary import FortnoxType, JobKind

WON: Final = 100
LOST: Final = 0
ZERO: Final = Decimal(0)
ORE: Final = Decimal("0.01")
FORTNOX_JOBS: Final = {
    FortnoxType.INVOICE: JobKind.FORTNOX_INVOICE,
    FortnoxType.ORDER: JobKind.FORTNOX_ORDER,
}


class DifferenceKind(StrEnum):
    MISSING_IN_FORTNOX = "missing_in_fortnox"
    MISSING_IN_UPSALES = "missing_in_upsales"
    AMOUNT_DIFFERS = "amount_differs"
    STAGE_DIFFERS = "stage_differs"


@dataclass(frozen=True)
class Deal:
    """An Upsales order: net value in its currency, and its probability."""

    id: int
    value: Decimal
    currency: str
    probability: int | None
    rate: Decimal | None = None
    """Its ``currencyRate``: units of its currency per SEK."""
    in_period: bool = True
    """Dated in the period (else read only to compare it with its document of the period)."""

    @property
    def won(self) -> bool:
        return self.probability == WON


@dataclass(frozen=True)
class Document:
    """A Fortnox order or invoice: its ``Net`` (as Fortnox states it) and currency."""

    type: FortnoxType
    number: str
    net: Decimal
    currency: str
    closed: bool
    """Cancelled, or credited in full (an order also when every invoice made of it is)."""
    own_order: int | None = None
    """The Upsales order its outbound reference names (we created it)."""
    backorder: bool = False
    """An order Fortnox split off another invoiced in part, with its rest."""
    invoice: str | None = None
    """The invoice Fortnox made of an order (its ``InvoiceReference``)."""
    rate: Decimal | None = None
    """Its ``CurrencyRate``: SEK per ``rate_unit`` units of its currency."""
    rate_unit: Decimal | None = None
    ended_synced: bool = False
    """Its cancellation is synced: its link marks it (the sync moved its order to lost)."""
    in_period: bool = True
    """Dated in the period (else read only to compare it with its won deal of the period)."""

    @property
    def label(self) -> str:
        return f"{self.type.value} {self.number}"


@dataclass(frozen=True)
class Repair:
    job_kind: str
    entity_id: str


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    upsales_order: int | None
    fortnox_document: str | None
    detail: str
    repair: Repair
    refresh: bool = False
    """The repair syncs the document again though Fortnox did not change it (Upsales did)."""


@dataclass
class Report:
    upsales: dict[str, Totals] = field(default_factory=dict)
    fortnox: dict[str, Totals] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    documented_elsewhere: dict[str, Totals] = field(default_factory=dict)
    """Won deals of the period (in ``upsales``) whose open document is dated in another."""
    won_elsewhere: dict[str, Totals] = field(default_factory=dict)
    """Open documents of the period (in ``fortnox``) whose won deal is dated in another."""
    ledger: dict[str, CurrencyLedger] = field(default_factory=dict)
    """The period's Fortnox documents as the books hold them (:mod:`.report_ledger`)."""

    @property
    def clean(self) -> bool:
        return not self.differences


def _ore(value: Decimal) -> Decimal:
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def _fortnox_repair(document: Document) -> Repair:
    return Repair(FORTNOX_JOBS[document.type], document.number)


def _kind(document: Document) -> Phrase:
    """The document's kind as the report names it (``faktura``, ``invoice``)."""
    return Phrase(f"document.{document.type.value}")


def _upsales_repair(order_id: int) -> Repair:
    return Repair(JobKind.UPSALES_ORDER, str(order_id))


def _pair_difference(deal: Deal, document: Document) -> Difference | None:
    if document.closed and document.ended_synced and deal.probability != LOST:
        # the sync moved the order to lost, and the rep took it up again since
        if not deal.won:  # an opportunity again: neither side counts it
            return None
        detail = Phrase("report.won_again_closed", document=_kind(document))
        return Difference(
            DifferenceKind.STAGE_DIFFERS, deal.id, document.label, detail, _upsales_repair(deal.id)
        )
    if document.closed and deal.probability != LOST:
        detail = Phrase("report.closed_not_lost", document=_kind(document))
        return Difference(
            DifferenceKind.STAGE_DIFFERS, deal.id, document.label, detail, _fortnox_repair(document)
        )
    if not document.closed and deal.probability == LOST:
        detail = Phrase("report.lost_open", document=_kind(document))
        return Difference(
            DifferenceKind.STAGE_DIFFERS, deal.id, document.label, detail, _upsales_repair(deal.id)
        )
    if document.closed:
        return None
    if not deal.won:  # an opportunity again (the rep took it back from won); Fortnox counts it
        detail = Phrase(
            "report.reopened_open", probability=deal.probability, document=_kind(document)
        )
        own = document.own_order == deal.id
        repair = _upsales_repair(deal.id) if own else _fortnox_repair(document)
        return Difference(
            DifferenceKind.STAGE_DIFFERS, deal.id, document.label, detail, repair, refresh=not own
        )
    value = _ore(deal.value)
    if value != document.net or deal.currency != document.currency:
        detail = Phrase(
            "report.amounts",
            value=deal.value,
            currency=deal.currency,
            net=document.net,
            document_currency=document.currency,
        )
    elif not _rates_agree(deal, document):
        detail = Phrase(
            "report.rates",
            value=deal.value,
            currency=deal.currency,
            rate=deal.rate,
            home=HOME_CURRENCY,
            document_rate=document.rate,
            unit=document.rate_unit or 1,
            document_currency=document.currency,
        )
    else:
        return None
    repair = (
        _upsales_repair(deal.id) if document.own_order == deal.id else _fortnox_repair(document)
    )
    return Difference(DifferenceKind.AMOUNT_DIFFERS, deal.id, document.label, detail, repair)


def _rates_agree(deal: Deal, document: Document) -> bool:
    """A foreign currency's amounts agree in SEK too: both sides' rates value them alike (a
    side with no rate, Fortnox's own or none, is not compared)."""
    if foreign_currency(document.currency) is None or deal.rate is None or document.rate is None:
        return True
    return rates_agree(deal.rate, document.rate, document.rate_unit)


def _passed_over(
    key: tuple[FortnoxType, str], document: Document, links: Mapping[tuple[FortnoxType, str], int]
) -> bool:
    """A backorder no deal took: the rest of its order, which counts it."""
    return document.backorder and key not in links


def _linked_types(links: Mapping[tuple[FortnoxType, str], int]) -> set[tuple[FortnoxType, int]]:
    return {(kind, order_id) for (kind, _), order_id in links.items()}


def invoices_to_read(
    documents: Iterable[Document],
    links: Mapping[tuple[FortnoxType, str], int],
    lost: Collection[int],
) -> dict[tuple[FortnoxType, str], int]:
    """The open Fortnox orders among ``documents`` that are closed when every invoice made of
    them is cancelled or credited in full, each with the Upsales order whose invoices the report
    reads to tell: the order of a lost deal (the sync moved it to lost for them), and an order
    of ours whose deal, won again, is linked to another order now (it was set aside when its
    invoice ended). A linked order of a won deal is its document, invoiced or not."""
    linked_types = _linked_types(links)
    found: dict[tuple[FortnoxType, str], int] = {}
    for document in documents:
        key = (document.type, document.number)
        if (
            document.type is not FortnoxType.ORDER
            or document.closed
            or _passed_over(key, document, links)
        ):
            continue
        order_id = links.get(key, document.own_order)
        if order_id is None:
            continue
        replaced = key not in links and (FortnoxType.ORDER, order_id) in linked_types
        if order_id in lost or replaced:
            found[key] = order_id
    return found


def _standing(
    documents: Iterable[Document], links: Mapping[tuple[FortnoxType, str], int]
) -> dict[tuple[FortnoxType, int], str]:
    """The document of each type that stands for an Upsales order: its linked one, else the
    first open one carrying its reference (another open one carrying it, a copy say, is the
    deal in Fortnox twice)."""
    standing = {(kind, order_id): number for (kind, number), order_id in links.items()}
    for document in sorted(documents, key=lambda d: (d.type, int(d.number))):
        key = (document.type, document.number)
        if document.closed or document.own_order is None or _passed_over(key, document, links):
            continue
        standing.setdefault((document.type, document.own_order), document.number)
    return standing


def _count_timing(report: Report, deal: Deal, document: Document) -> None:
    """A won deal and its open document dated in two periods: each counts in its own period
    only, and the period of one side names the other as dated elsewhere."""
    if not deal.won or document.closed or deal.in_period == document.in_period:
        return
    if deal.in_period:
        add(report.documented_elsewhere, deal.currency, _ore(deal.value))
    else:
        add(report.won_elsewhere, document.currency, document.net)


def _no_order(document: Document, stands: str | None, another: bool, deleted: bool) -> Phrase:
    """Why an open document has no order: a copy of another's, its order deleted in Upsales
    (the document left in Fortnox, :mod:`.outbound.deleted_deal`), or none at all."""
    if another:
        return Phrase("report.copy", document=_kind(document), standing=stands)
    if deleted:
        return Phrase("report.order_deleted", document=_kind(document))
    return Phrase("report.no_order", document=_kind(document))


def compare(
    deals: Iterable[Deal],
    documents: Iterable[Document],
    links: Mapping[tuple[FortnoxType, str], int],
    deleted: Collection[int] = frozenset(),
) -> Report:
    """The report of one period; ``links`` maps (type, number) to the linked Upsales order;
    ``deleted``: the orders its documents name that Upsales no longer has."""
    report = Report()
    by_id = {deal.id: deal for deal in deals}
    matched: set[int] = set()
    documents = sorted(documents, key=lambda d: (d.type, int(d.number)))
    standing = _standing(documents, links)
    for each in by_id.values():
        if each.won and each.in_period:
            add(report.upsales, each.currency, _ore(each.value))
    for document in documents:
        key = (document.type, document.number)
        if _passed_over(key, document, links):
            continue
        if not document.closed and document.in_period:
            add(report.fortnox, document.currency, document.net)
        order_id = links.get(key, document.own_order)
        stands = standing.get((document.type, order_id)) if order_id is not None else None
        another = key not in links and stands not in (None, document.number)
        if document.closed and another:
            continue  # ended, and its order, won again since, has a new document of its type
        deal = by_id.get(order_id) if order_id is not None and not another else None
        if deal is None:
            if not document.closed:
                detail = _no_order(document, stands, another, order_id in deleted)
                report.differences.append(
                    Difference(
                        DifferenceKind.MISSING_IN_UPSALES,
                        order_id,
                        document.label,
                        detail,
                        _fortnox_repair(document),
                    )
                )
            continue
        matched.add(deal.id)
        _count_timing(report, deal, document)
        found = _pair_difference(deal, document)
        if found is not None:
            report.differences.append(found)
    for deal in by_id.values():
        if deal.won and deal.id not in matched:
            report.differences.append(
                Difference(
                    DifferenceKind.MISSING_IN_FORTNOX,
                    deal.id,
                    None,
                    Phrase("report.no_document"),
                    _upsales_repair(deal.id),
                )
            )
    return report
