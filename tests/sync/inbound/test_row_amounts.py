"""Row amounts in öre and the Upsales rows that carry them (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sync.inbound.upsales_value import order_value
from upsales_fortnox.domain.inbound.row_amounts import (
    PricedRow,
    RowTotal,
    fortnox_net,
    net_amounts,
    split_row,
)
from upsales_fortnox.integrations.upsales.facts import ORDER_VALUE_ROUNDS_ROWS

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "amount", "expected"),
    [
        ("300", "3000.00", [("300", "10.00")]),
        ("300", "2999.00", [("299", "10.00"), ("1", "9.00")]),
        ("-300", "-2999.00", [("-299", "10.00"), ("-1", "9.00")]),
        ("1.5", "5.00", [("0.5", "3.34"), ("1", "3.33")]),  # 0.5 x price in öre: steps of 0.02
        ("2.25", "22.48", [("1.25", "10.00"), ("1", "9.98")]),  # 1.25: steps of 0.04
        ("0.3", "1.00", [("1", "1.00")]),
        ("-0.3", "-1.00", [("-1", "1.00")]),
        ("0", "-5.00", [("1", "-5.00")]),
        ("2", "0.01", [("1", "0.01"), ("1", "0.00")]),
    ],
)
def test_split_row(quantity: str, amount: str, expected: list[tuple[str, str]]) -> None:
    rows = split_row(D(quantity), D(amount))

    assert rows == [PricedRow(D(q), D(p)) for q, p in expected]
    assert sum(row.quantity * row.price for row in rows) == D(amount)


def test_vat_included_amounts_go_by_largest_remainder_to_the_net() -> None:
    rows = [RowTotal(D("10.01"), D(25))] * 3 + [RowTotal(D("10.00"), D(12))]

    amounts = net_amounts(rows, vat_included=True, net=None)

    # exact 8.008 x 3 and 8.928571…; VAT 6.006 + 1.071428… = 7.077… → 7.08, net 40.03 - 7.08
    assert fortnox_net(rows, vat_included=True) == D("32.95")
    assert amounts == [D("8.01"), D("8.01"), D("8.00"), D("8.93")]


def test_a_net_an_ore_off_goes_to_the_largest_row_and_a_net_far_off_is_ignored() -> None:
    rows = [RowTotal(D("100.00"), D(25)), RowTotal(D("-900.00"), D(25))]

    assert net_amounts(rows, vat_included=False, net=D("-799.99")) == [D("100.00"), D("-899.99")]
    assert net_amounts(rows, vat_included=False, net=D("-700.00")) == [D("100.00"), D("-900.00")]
    assert net_amounts(rows, vat_included=False, net=None) == [D("100.00"), D("-900.00")]
    assert net_amounts([], vat_included=False, net=D(0)) == []


def test_order_value_either_way() -> None:
    rows = [(D(3), D("0.335"))]

    assert order_value(rows, rounds_rows=False) == D("1.005")
    assert order_value(rows, rounds_rows=True) == D("1.01")
    assert order_value(rows) == order_value(rows, rounds_rows=ORDER_VALUE_ROUNDS_ROWS)
