"""The delivered quantity an order update sends for each of the deal's rows (pure)."""

from __future__ import annotations

from decimal import Decimal

from upsales_fortnox.domain.outbound.document_body import matching_row_ids
from upsales_fortnox.domain.outbound.kept_rows import KEPT_IN_PART, read_before_update, rows_to_keep
from upsales_fortnox.domain.outbound.part_deliveries import keep_deliveries
from upsales_fortnox.domain.outbound.rows import PlannedRow
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow


def _row(quantity: str, article: str = "A-1") -> PlannedRow:
    amount = Decimal(quantity) * 100
    return PlannedRow(article, Decimal(quantity), Decimal(100), Decimal(0), amount, product_id=1)


def _sent(rows: list[PlannedRow], row_ids: list[int | None], held: int | None = None) -> Order:
    held_rows = [OrderRow(RowId=held)] if held is not None else []
    return Order(
        OrderRows=held_rows
        + [
            OrderRow(
                RowId=row_id,
                ArticleNumber=row.article_number,
                OrderedQuantity=row.quantity,
                DeliveredQuantity=row.quantity,
            )
            for row, row_id in zip(rows, row_ids, strict=True)
        ]
    )


def _read(*rows: tuple[int, str, str]) -> Order:
    """An order as read: rows of ``RowId`` ``i``, article ``A-i``, ordered and delivered."""
    return Order(
        OrderRows=[
            OrderRow(
                RowId=i,
                ArticleNumber=f"A-{i}",
                OrderedQuantity=Decimal(o),
                DeliveredQuantity=Decimal(d),
            )
            for i, o, d in rows
        ]
    )


def _delivered(document: Order | Invoice) -> list[Decimal | None]:
    assert isinstance(document, Order)
    return [row.DeliveredQuantity for row in document.OrderRows or ()]


def test_only_a_row_delivered_in_part_keeps_its_delivered_quantity() -> None:
    rows = [_row("3", "A-11"), _row("4", "A-12"), _row("2", "A-13"), _row("-2", "A-14")]
    row_ids: list[int | None] = [11, 12, None, 14]
    read = _read((11, "2", "1"), (12, "4", "4"), (14, "-2", "-1"))
    kept = keep_deliveries(_sent(rows, row_ids), rows, row_ids, read)
    # part kept; delivered in full stays full; a new row full; below zero as sent
    assert _delivered(kept) == [Decimal(1), Decimal(4), Decimal(2), Decimal(-2)]


def test_a_delivered_quantity_is_never_more_than_the_rows_new_quantity() -> None:
    rows = [_row("0.5", "A-11")]
    kept = keep_deliveries(_sent(rows, [11]), rows, [11], _read((11, "2", "1")))
    assert _delivered(kept) == [Decimal("0.5")]


def test_a_row_held_first_is_left_as_it_is() -> None:
    rows = [_row("3", "A-11")]
    kept = keep_deliveries(
        _sent(rows, [11], held=9), rows, [11], _read((9, "1", "1"), (11, "3", "2"))
    )
    assert _delivered(kept) == [None, Decimal(2)]


def test_unread_or_an_invoice_is_sent_as_it_is() -> None:
    rows = [_row("3")]
    sent = _sent(rows, [11])
    assert keep_deliveries(sent, rows, [11], None) is sent
    invoice = Invoice(InvoiceRows=[InvoiceRow(RowId=11, DeliveredQuantity=Decimal(3))])
    assert keep_deliveries(invoice, rows, [11], _read((11, "3", "1"))) is invoice


def test_a_row_of_an_article_with_more_than_one_row_is_sent_fully_delivered() -> None:
    """Rows are matched by article: the deal's A x 10 (4 delivered) removed beside its A x 5
    (all 5 delivered) must not hand the 4 to the row left."""
    read = Order(
        OrderRows=[
            OrderRow(
                RowId=11,
                ArticleNumber="A-1",
                OrderedQuantity=Decimal(10),
                DeliveredQuantity=Decimal(4),
            ),
            OrderRow(
                RowId=12,
                ArticleNumber="A-1",
                OrderedQuantity=Decimal(5),
                DeliveredQuantity=Decimal(5),
            ),
        ]
    )
    rows = [_row("5")]
    row_ids = matching_row_ids(read.OrderRows or [], rows)
    kept = keep_deliveries(_sent(rows, row_ids), rows, row_ids, read)
    assert _delivered(kept) == [Decimal(5)]
    two = [_row("10"), _row("5")]  # both kept by the deal: each its own, yet sent in full
    both = keep_deliveries(_sent(two, [11, 12]), two, [11, 12], read)
    assert _delivered(both) == [Decimal(10), Decimal(5)]


def test_an_order_written_with_a_row_delivered_in_part_is_read_before_its_next_change() -> None:
    in_part = _sent([_row("3", "A-11")], [11]).model_copy(update={"CustomerNumber": "1"})
    in_part.OrderRows[0].DeliveredQuantity = Decimal(1)  # type: ignore[index]
    full = _sent([_row("3", "A-11")], [11])
    assert rows_to_keep(in_part)[KEPT_IN_PART] is True
    assert KEPT_IN_PART not in rows_to_keep(full)
    assert read_before_update(rows_to_keep(in_part))
    assert not read_before_update(rows_to_keep(full)) and not read_before_update(None)
