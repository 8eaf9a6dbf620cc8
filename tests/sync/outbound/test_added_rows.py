"""The rows the bookkeeper added in Fortnox to a document the sync wrote, told apart from the
deal's rows by article against the sync's last write."""

from __future__ import annotations

from decimal import Decimal

from upsales_fortnox.domain.outbound.added_rows import (
    KEPT_THEIRS,
    added_in_fortnox,
    keeping,
    kept_theirs,
    rows_kept,
)
from upsales_fortnox.domain.outbound.document_body import KEPT_ROWS
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow
from upsales_fortnox.vocabulary import FortnoxType


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
    invoice = keeping(Invoice(InvoiceRows=[InvoiceRow(ArticleNumber="A")]), [(7, None)])
    assert [(r.RowId, r.ArticleNumber) for r in invoice.InvoiceRows or []] == [
        (None, "A"),
        (7, None),
    ]
    order = keeping(Order(OrderRows=[OrderRow(RowId=3, ArticleNumber="A")]), [(8, "X")])
    assert [(r.RowId, r.ArticleNumber) for r in order.OrderRows or []] == [(3, "A"), (8, None)]


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
    kept = rows_kept(written, update)
    assert kept[KEPT_ROWS] == [[11, "A"], [12, ""], [13, "B"]]
    assert kept[KEPT_THEIRS] == [[14, ""]]
    assert kept_theirs(kept) == [(14, "")]
    assert KEPT_THEIRS not in rows_kept(written, None)
    assert kept_theirs({KEPT_THEIRS: "x"}) == []
    assert kept_theirs({KEPT_THEIRS: [["x", "A"], [3, None], [4]]}) == [(3, None)]
