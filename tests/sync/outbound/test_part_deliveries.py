"""The delivered quantity an order update sends for each of the deal's rows (pure)."""

from __future__ import annotations

from decimal import Decimal

from upsales_fortnox.domain.outbound.part_deliveries import keep_deliveries
from upsales_fortnox.domain.outbound.rows import PlannedRow
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow


def _row(quantity: str) -> PlannedRow:
    amount = Decimal(quantity) * 100
    return PlannedRow("A-1", Decimal(quantity), Decimal(100), Decimal(0), amount, product_id=1)


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
    return Order(
        OrderRows=[
            OrderRow(RowId=i, OrderedQuantity=Decimal(o), DeliveredQuantity=Decimal(d))
            for i, o, d in rows
        ]
    )


def _delivered(document: Order | Invoice) -> list[Decimal | None]:
    assert isinstance(document, Order)
    return [row.DeliveredQuantity for row in document.OrderRows or ()]


def test_only_a_row_delivered_in_part_keeps_its_delivered_quantity() -> None:
    rows = [_row("3"), _row("4"), _row("2"), _row("-2")]
    row_ids: list[int | None] = [11, 12, None, 14]
    read = _read((11, "2", "1"), (12, "4", "4"), (14, "-2", "-1"))
    kept = keep_deliveries(_sent(rows, row_ids), rows, row_ids, read)
    # part kept; delivered in full stays full; a new row full; below zero as sent
    assert _delivered(kept) == [Decimal(1), Decimal(4), Decimal(2), Decimal(-2)]


def test_a_delivered_quantity_is_never_more_than_the_rows_new_quantity() -> None:
    rows = [_row("0.5")]
    kept = keep_deliveries(_sent(rows, [11]), rows, [11], _read((11, "2", "1")))
    assert _delivered(kept) == [Decimal("0.5")]


def test_a_row_held_first_is_left_as_it_is() -> None:
    rows = [_row("3")]
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
