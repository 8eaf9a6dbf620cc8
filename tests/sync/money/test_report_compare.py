"""The report's matching and differences (pure): each kind, its repair, and the totals."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from upsales_fortnox.domain.report_compare import (
    Deal,
    DifferenceKind,
    Document,
    Repair,
    compare,
    invoices_to_read,
)
from upsales_fortnox.sync.report.presentation import report_table
from upsales_fortnox.vocabulary import FortnoxType

INVOICE = FortnoxType.INVOICE
ORDER = FortnoxType.ORDER


def deal(order_id: int, value: str, probability: int = 100, currency: str = "SEK") -> Deal:
    return Deal(order_id, Decimal(value), currency, probability)


def invoice(number: str, net: str, *, closed: bool = False, own: int | None = None) -> Document:
    return Document(INVOICE, number, Decimal(net), "SEK", closed, own)


def test_each_kind_with_its_repair() -> None:
    report = compare(
        [deal(1, "100"), deal(2, "200"), deal(3, "300"), deal(4, "400"), deal(5, "50", 0)],
        [
            invoice("10", "200.01"),  # linked to 2: amount (imported → from Fortnox)
            invoice("11", "300", own=3),  # ours, for 3: amount differs? no: equal
            invoice("12", "400", closed=True),  # linked to 4: stage
            invoice("13", "70"),  # nobody's
            invoice("14", "50", own=5),  # open, its order lost
            invoice("15", "1", closed=True),  # cancelled and nobody's: fine
        ],
        {(INVOICE, "10"): 2, (INVOICE, "12"): 4},
    )
    found = {(d.kind, d.upsales_order, d.fortnox_document, d.repair) for d in report.differences}
    assert found == {
        (DifferenceKind.AMOUNT_DIFFERS, 2, "invoice 10", Repair("fortnox.invoice", "10")),
        (DifferenceKind.STAGE_DIFFERS, 4, "invoice 12", Repair("fortnox.invoice", "12")),
        (DifferenceKind.MISSING_IN_UPSALES, None, "invoice 13", Repair("fortnox.invoice", "13")),
        (DifferenceKind.STAGE_DIFFERS, 5, "invoice 14", Repair("upsales.order", "5")),
        (DifferenceKind.MISSING_IN_FORTNOX, 1, None, Repair("upsales.order", "1")),
    }
    assert "missing_in_fortnox" in report_table(report)


def test_amounts_are_compared_to_the_ore() -> None:
    """An Upsales value with fractions of an öre matches the Net Fortnox rounded it to; a single
    öre off is a difference."""
    report = compare(
        [deal(1, "99.999"), deal(2, "2999.01"), deal(3, "-80.425")],
        [invoice("10", "100.00"), invoice("11", "2999.00"), invoice("12", "-80.43")],
        {(INVOICE, "10"): 1, (INVOICE, "11"): 2, (INVOICE, "12"): 3},
    )
    found = [(d.kind, d.upsales_order, d.detail) for d in report.differences]
    assert found == [
        (DifferenceKind.AMOUNT_DIFFERS, 2, "Upsales 2999.01 SEK, Fortnox 2999.00 SEK"),
    ]


def test_an_amount_of_our_own_document_is_repaired_from_upsales() -> None:
    report = compare([deal(3, "300")], [invoice("11", "299", own=3)], {})
    (difference,) = report.differences
    assert difference.repair == Repair("upsales.order", "3")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**6, places=2), st.sampled_from(["SEK", "EUR"])
        ),
        max_size=20,
    )
)
def test_matched_pairs_are_clean_with_equal_totals(pairs: list[tuple[Decimal, str]]) -> None:
    deals = [Deal(i, value, currency, 100) for i, (value, currency) in enumerate(pairs, 1)]
    documents = [
        Document(INVOICE, str(i), value, currency, False)
        for i, (value, currency) in enumerate(pairs, 1)
    ]
    links = {(INVOICE, str(i)): i for i in range(1, len(pairs) + 1)}
    report = compare(deals, documents, links)
    assert report.clean and report.upsales == report.fortnox
    assert sum(t.count for t in report.upsales.values()) == len(pairs)
    assert "inga skillnader" in report_table(report)
    assert "no differences" in report_table(report, "en")


def test_a_closed_document_replaced_by_its_orders_new_one_is_no_difference() -> None:
    """Invoice 10 of ours was cancelled, and its order won again: invoice 11 took its link.
    The cancelled one is no stage difference; a closed one of ours whose order has no other
    document still is."""
    report = compare(
        [deal(1, "100"), deal(2, "200")],
        [
            invoice("10", "100", closed=True, own=1),
            invoice("11", "100", own=1),
            invoice("12", "200", closed=True, own=2),
        ],
        {(INVOICE, "11"): 1},
    )
    found = {(d.kind, d.upsales_order, d.fortnox_document) for d in report.differences}
    assert found == {(DifferenceKind.STAGE_DIFFERS, 2, "invoice 12")}


def test_the_invoices_read_are_those_of_lost_deals_and_set_aside_orders() -> None:
    """Order 10 of ours was invoiced and its invoice cancelled; its deal 1, won again, has
    order 11 now: order 10's invoices are read (it was set aside). So are those of order 12,
    whose deal 2 is lost. Order 13, its deal 3's document, is not read, invoiced or not, nor
    order 14, which names no deal, nor closed order 15, nor an invoice."""
    documents = [
        Document(ORDER, "10", Decimal(100), "SEK", False, own_order=1),
        Document(ORDER, "11", Decimal(120), "SEK", False, own_order=1),
        Document(ORDER, "12", Decimal(200), "SEK", False),
        Document(ORDER, "13", Decimal(300), "SEK", False, own_order=3),
        Document(ORDER, "14", Decimal(400), "SEK", False),
        Document(ORDER, "15", Decimal(500), "SEK", True, own_order=2),
        invoice("16", "200", own=2),
    ]
    links = {(ORDER, "11"): 1, (ORDER, "12"): 2, (ORDER, "13"): 3}

    assert invoices_to_read(documents, links, lost={2}) == {(ORDER, "10"): 1, (ORDER, "12"): 2}


def test_a_backorder_counts_only_when_a_deal_took_it() -> None:
    """Backorder 11, the rest of deal 1's order 10 (whose ordered rows count it), is passed
    over; backorder 21, which deal 2 won again took for its document, is deal 2's."""
    report = compare(
        [deal(1, "100"), deal(2, "200")],
        [
            Document(ORDER, "10", Decimal(100), "SEK", False, own_order=1),
            Document(ORDER, "11", Decimal(60), "SEK", False, own_order=1, backorder=True),
            Document(ORDER, "20", Decimal(200), "SEK", True, own_order=2),
            Document(ORDER, "21", Decimal(200), "SEK", False, own_order=2, backorder=True),
        ],
        {(ORDER, "10"): 1, (ORDER, "21"): 2},
    )
    assert report.clean, report.differences
    assert report.fortnox == report.upsales
    backorder = Document(ORDER, "11", Decimal(60), "SEK", False, own_order=1, backorder=True)
    assert invoices_to_read([backorder], {(ORDER, "20"): 1}, lost={1}) == {}


def test_a_second_open_document_carrying_a_linked_orders_reference_differs() -> None:
    """Invoice 11 carries deal 1's reference (a copy of its invoice 10, say) and is open: the
    deal is invoiced twice, and Fortnox's total counts both. It is no document of the deal's,
    which is linked to invoice 10: it differs, missing in Upsales, and the report is not clean
    while the totals disagree."""
    report = compare(
        [deal(1, "100")],
        [invoice("10", "100"), invoice("11", "100", own=1)],
        {(INVOICE, "10"): 1},
    )
    found = [(d.kind, d.upsales_order, d.fortnox_document) for d in report.differences]
    assert found == [(DifferenceKind.MISSING_IN_UPSALES, 1, "invoice 11")]
    assert report.fortnox["SEK"].net == 200 and report.upsales["SEK"].net == 100


def test_a_deal_in_fortnox_twice_unlinked_differs_once() -> None:
    """Invoices 10 and 11 both carry deal 1's reference and neither is linked (links lost, or
    a copy of an invoice whose link was never written): invoice 10 stands for the deal, 11 is
    the deal invoiced twice, and the report says so instead of calling 100 against 200 clean.
    Invoice 9, cancelled, carries the reference too: it ended, and 10 stands for the deal."""
    report = compare(
        [deal(1, "100")],
        [
            invoice("11", "100", own=1),
            invoice("10", "100", own=1),
            invoice("9", "100", closed=True, own=1),
        ],
        {},
    )
    found = [(d.kind, d.upsales_order, d.fortnox_document) for d in report.differences]
    assert found == [(DifferenceKind.MISSING_IN_UPSALES, 1, "invoice 11")]
    assert "invoice 10" in report.differences[0].detail
    assert report.differences[0].repair == Repair("fortnox.invoice", "11")


documents_of_three_deals = st.lists(
    st.tuples(
        st.sampled_from([Decimal(100), Decimal(200)]),  # net
        st.sampled_from([False, False, True]),  # closed
        st.sampled_from([None, 1, 2]),  # the order its reference names
        st.booleans(),  # a backorder (orders only)
        st.sampled_from([None, None, None, 1, 2, 3]),  # the order it is linked to
    ),
    max_size=5,
)


@settings(max_examples=300)
@given(
    st.sampled_from([INVOICE, ORDER]),
    st.lists(
        st.tuples(
            st.sampled_from([Decimal(100), Decimal(200)]), st.sampled_from([100, 100, 0, 50])
        ),
        min_size=1,
        max_size=3,
    ),
    documents_of_three_deals,
)
def test_a_clean_report_has_equal_totals(
    kind: FortnoxType,
    deal_specs: list[tuple[Decimal, int]],
    document_specs: list[tuple[Decimal, bool, int | None, bool, int | None]],
) -> None:
    """Whatever the links, references and states, a report without differences counts the same
    on both sides: clean is the proof that the totals agree."""
    deals = [
        Deal(i, value, "SEK", probability) for i, (value, probability) in enumerate(deal_specs, 1)
    ]
    documents: list[Document] = []
    links: dict[tuple[FortnoxType, str], int] = {}
    for number, (net, closed, own, backorder, linked) in enumerate(document_specs, 10):
        documents.append(
            Document(kind, str(number), net, "SEK", closed, own, backorder and kind is ORDER)
        )
        if linked is not None and linked not in links.values():  # one link per order and type
            links[(kind, str(number))] = linked
    report = compare(deals, documents, links)
    if report.clean:
        assert report.upsales == report.fortnox


def test_a_deal_taken_up_again_after_its_cancellation_was_synced_is_sent() -> None:
    """Invoice 10's cancellation moved deal 1 to lost (its link marks it). Won again since, the
    deal is repaired by sending it (a new invoice), not by syncing the cancelled invoice, which
    changes nothing now; an opportunity again (deal 2) counts on neither side and is no
    difference. A cancellation not synced yet (invoice 12) is still repaired from Fortnox."""
    report = compare(
        [deal(1, "100"), deal(2, "200", 50), deal(3, "300")],
        [
            Document(INVOICE, "10", Decimal(100), "SEK", True, 1, ended_synced=True),
            Document(INVOICE, "11", Decimal(200), "SEK", True, 2, ended_synced=True),
            invoice("12", "300", closed=True, own=3),
        ],
        {(INVOICE, "10"): 1, (INVOICE, "11"): 2, (INVOICE, "12"): 3},
    )
    found = [(d.kind, d.upsales_order, d.repair) for d in report.differences]
    assert found == [
        (DifferenceKind.STAGE_DIFFERS, 1, Repair("upsales.order", "1")),
        (DifferenceKind.STAGE_DIFFERS, 3, Repair("fortnox.invoice", "12")),
    ]


def test_an_open_document_whose_order_was_deleted_in_upsales_says_so() -> None:
    """The bookkeeper reads why no order matches: the sales rep deleted it (its document is
    left in Fortnox for the bookkeeper to cancel or credit), not merely that none is found."""
    report = compare(
        [],
        [invoice("10", "100"), invoice("11", "50", own=8), invoice("12", "70")],
        {(INVOICE, "10"): 7},
        deleted={7, 8},
    )

    assert {d.kind for d in report.differences} == {DifferenceKind.MISSING_IN_UPSALES}
    table = report_table(report)
    deleted = "Upsales-ordern till det öppna dokumentet (faktura) är borttagen i Upsales"
    assert table.count(deleted) == 2  # linked, or ours by its reference
    assert "ingen Upsales-order till det öppna dokumentet (faktura)" in table  # nobody's
