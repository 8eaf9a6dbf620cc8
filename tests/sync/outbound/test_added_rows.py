"""The rows the bookkeeper added in Fortnox to a document the sync wrote, told apart from the
deal's rows by article and figures against the sync's last write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.added_rows import (
    KEPT_THEIRS,
    ROWS_BEYOND_LIMIT,
    added_in_fortnox,
    keeping,
    kept_theirs,
    rows_kept,
    split_read,
)
from upsales_fortnox.domain.outbound.document_decision import (
    decide_document,
)
from upsales_fortnox.domain.outbound.kept_rows import (
    KEPT_ROWS,
    kept_figures,
    kept_rows,
    row_figures,
)
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode


def test_rows_beyond_the_last_write_are_the_bookkeepers() -> None:
    written = [(1, "A"), (2, "B")]
    assert added_in_fortnox([(5, "A"), (6, "B")], written) == []  # renumbered, none added
    assert added_in_fortnox([(5, "A"), (6, "B"), (7, None)], written) == [(7, None)]
    assert added_in_fortnox([(5, "A"), (6, "A"), (7, "B")], written) == [(6, "A")]
    # a row given another article replaced the deal's row: nothing is the bookkeeper's
    assert added_in_fortnox([(5, "A"), (6, "C")], written) == []
    # one replaced and one added: only as many rows as the document has beyond the write
    assert added_in_fortnox([(5, "A"), (6, "C"), (7, "D")], written) == [(7, "D")]
    assert added_in_fortnox([(5, "A")], written) == []  # a row removed


def test_an_update_names_the_bookkeepers_rows_alone_after_the_deals() -> None:
    invoice = keeping(Invoice(InvoiceRows=[InvoiceRow(ArticleNumber="A")]), [(7, None, None)])
    assert [(r.RowId, r.ArticleNumber) for r in invoice.InvoiceRows or []] == [
        (None, "A"),
        (7, None),
    ]
    order = keeping(Order(OrderRows=[OrderRow(RowId=3, ArticleNumber="A")]), [(8, "X", None)])
    assert [(r.RowId, r.ArticleNumber) for r in order.OrderRows or []] == [(3, "A"), (8, None)]


def test_a_row_of_the_deals_article_with_other_figures_is_the_bookkeepers_wherever_it_is() -> None:
    written = [(1, "A"), (2, "B")]
    ours = ["2|4410|0|AMOUNT", "8|1250|0|AMOUNT"]
    read = [(5, "A"), (6, "B"), (7, "B")]
    above = ["2|4410|0|AMOUNT", "1|1000|0|PERCENT", "8|1250|0|AMOUNT"]
    assert added_in_fortnox(read, written, above, ours) == [(6, "B")]
    below = ["2|4410|0|AMOUNT", "8|1250|0|AMOUNT", "1|1000|0|PERCENT"]
    assert added_in_fortnox(read, written, below, ours) == [(7, "B")]
    # the bookkeeper changed the deal's row too, or the link kept no figures: by place
    changed = ["2|4410|0|AMOUNT", "1|1000|0|PERCENT", "9|1250|0|AMOUNT"]
    assert added_in_fortnox(read, written, changed, ours) == [(7, "B")]
    assert added_in_fortnox(read, written, above, [None, None]) == [(7, "B")]
    assert added_in_fortnox(read, written, above) == [(7, "B")]


def test_a_rows_figures_are_its_quantity_price_and_discount_as_values() -> None:
    invoice_row = InvoiceRow(
        DeliveredQuantity=Decimal("2.00"), Price=Decimal("4410.0"), Discount=Decimal(0)
    )
    assert row_figures(invoice_row) == "2|4410|0|"
    order_row = OrderRow(
        OrderedQuantity=Decimal("2"), DeliveredQuantity=Decimal(1), Price=Decimal("1E+3")
    )
    assert row_figures(order_row) == "2|1000||"
    kept = {KEPT_ROWS: [[1, "A", "2|4410|0|"], [2, "B"]]}  # the second kept before figures were
    assert kept_rows(kept) == [(1, "A"), (2, "B")]
    assert kept_figures(kept) == ["2|4410|0|", None]
    assert kept_figures(None) == []


def test_the_link_keeps_the_bookkeepers_rows_apart() -> None:
    written = Invoice(
        CustomerNumber="1",
        InvoiceRows=[
            InvoiceRow(RowId=11, ArticleNumber="A"),
            InvoiceRow(RowId=12, ArticleNumber=""),
            InvoiceRow(RowId=13, ArticleNumber="B"),
            InvoiceRow(RowId=14, ArticleNumber=""),
        ],
    )
    update = UpdateFortnoxDocument(
        1, FortnoxType.INVOICE, 5, Invoice(), "f", Decimal(0), theirs=(None,)
    )
    kept = rows_kept(written, update)  # rows answered not as sent: the last of the article
    assert kept[KEPT_ROWS] == [[11, "A", "|||"], [12, "", "|||"], [13, "B", "|||"]]
    assert kept[KEPT_THEIRS] == [[14, ""]]
    assert kept_theirs(kept) == [(14, "", None)]
    assert KEPT_THEIRS not in rows_kept(written, None)
    assert kept_theirs({KEPT_THEIRS: "x"}) == []
    assert kept_theirs({KEPT_THEIRS: [["x", "A"], [3, None], [4]]}) == [(3, None, None)]
    assert kept_theirs({KEPT_THEIRS: [[3, "", 0], [4, "", "x"]]}) == [(3, "", 0), (4, "", None)]


def test_the_bookkeepers_rows_keep_their_places_among_the_deals() -> None:
    """Read: a heading above the deal's rows, a note before its second row, freight last."""
    existing = [
        InvoiceRow(RowId=20, ArticleNumber=""),
        InvoiceRow(RowId=21, ArticleNumber="A"),
        InvoiceRow(RowId=22, ArticleNumber=""),
        InvoiceRow(RowId=23, ArticleNumber="B"),
        InvoiceRow(RowId=24, ArticleNumber=""),
    ]
    link = LinkView(
        entity=LinkEntity.ORDER,
        upsales_id=1,
        fortnox_type=FortnoxType.INVOICE,
        fortnox_id="5",
        fingerprint="f",
        synced_fields={KEPT_ROWS: [[1, "A"], [2, "B"]]},
    )
    ours, theirs = split_read(existing, link)
    assert [row.RowId for row in ours] == [21, 23]
    assert theirs == [(20, "", 0), (22, "", 2), (24, "", 4)]
    update = [InvoiceRow(RowId=21, ArticleNumber="A"), InvoiceRow(RowId=23, ArticleNumber="B")]
    update.append(InvoiceRow(ArticleNumber="C"))
    sent = keeping(Invoice(InvoiceRows=update), theirs, [21, 23])
    assert [(r.RowId, r.ArticleNumber) for r in sent.InvoiceRows or []] == [
        (20, None),
        (21, "A"),
        (22, None),
        (23, "B"),
        (None, "C"),
        (24, None),
    ]
    # the deal's row B gone: the note goes before the next row the update names, else last
    alone = keeping(Invoice(InvoiceRows=update[:1]), theirs, [21, 23])
    assert [r.RowId for r in alone.InvoiceRows or []] == [20, 21, 22, 24]
    decision = UpdateFortnoxDocument(
        1, FortnoxType.INVOICE, 5, sent, "f", Decimal(0), theirs=("", "", "")
    )
    answered = Invoice(
        CustomerNumber="1",
        InvoiceRows=[InvoiceRow(RowId=30 + i, ArticleNumber=a) for i, a in enumerate("_A_BC_")],
    )
    kept = rows_kept(answered, decision)
    assert kept[KEPT_ROWS] == [[31, "A", "|||"], [33, "B", "|||"], [34, "C", "|||"]]
    assert kept_theirs(kept) == [(30, "_", 0), (32, "_", 2), (35, "_", 5)]
    # unread, from what the link keeps: the same places
    again = keeping(
        Invoice(InvoiceRows=[InvoiceRow(RowId=31, ArticleNumber="A")]),
        kept_theirs(kept),
        [31, 33, 34],
    )
    assert [r.RowId for r in again.InvoiceRows or []] == [30, 31, 32, 35]


def test_a_deal_the_bookkeepers_rows_would_take_past_the_row_limit_is_refused_clearly() -> None:
    """At Fortnox's row limit, the bookkeeper's row would make the update one row too many:
    the order is refused with a code of its own (Fortnox would refuse the whole update)."""
    count = MAX_DOCUMENT_ROWS
    draft = map_order(
        order([order_row(1000 + i, 1, "10") for i in range(count)]),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={1000 + i: f"B{i}" for i in range(count)},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    synced = {KEPT_ROWS: [[40, "B0"]], KEPT_THEIRS: [[41, None, 1]]}
    link = LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "12", "old", synced)

    with pytest.raises(PermanentError) as refused:
        decide_document(draft, link, None)

    assert refused.value.code == ROWS_BEYOND_LIMIT
    below = LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "12", "old", {KEPT_ROWS: []})
    assert isinstance(decide_document(draft, below, None), UpdateFortnoxDocument)
