"""Fortnox's row rule, öre-exact rounding and splitting, and row pricing."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.domain.outbound.money import (
    ORE,
    distribute,
    fortnox_net,
    fortnox_row_total,
    price_row,
    round_amounts,
    round_ore,
    split_amount,
    split_by_value,
)

D = Decimal


def test_row_total_percent_and_amount_discounts_round_to_ore() -> None:
    assert fortnox_row_total(D(3), D("33.33"), D(10), "PERCENT") == D("89.99")  # 89.991
    assert fortnox_row_total(D(3), D("33.33"), D("0.99"), "AMOUNT") == D("99.00")
    assert fortnox_row_total(D("1.5"), D("3.33"), D(0), None) == D("5.00")  # 4.995 half up
    assert fortnox_row_total(D(-1), D("0.005"), D(0), None) == D("-0.01")  # away from zero


def test_net_is_the_sum_of_row_totals() -> None:
    rows = [(D("1.5"), D("3.33"), D(0), None), (D("1.5"), D("3.33"), D(0), "PERCENT")]
    assert fortnox_net(rows) == D("10.00")  # each row rounds up on its own: 5.00 + 5.00


def test_round_amounts_keeps_the_rounded_total_of_the_parts() -> None:
    parts = [D("4.995"), D("4.995")]  # 9.99 in total, but 5.00 + 5.00 if rounded one by one
    assert round_amounts(parts) == [D("5.00"), D("4.99")]
    assert round_amounts([D("0.004")] * 3) == [D("0.01"), D(0), D(0)]
    assert round_amounts([D("10.00"), D("-2.50")]) == [D("10.00"), D("-2.50")]


def test_round_amounts_reaches_a_total_given_when_the_parts_can_round_to_it() -> None:
    """Upsales may add its rows exactly or round each one (``facts.ORDER_VALUE_ROUNDS_ROWS``):
    the order value it states is the total either way, when the parts can round to it."""
    parts = [D("4.995"), D("4.995")]
    assert round_amounts(parts, total=D("10.00")) == [D("5.00"), D("5.00")]  # row by row
    assert round_amounts(parts, total=D("9.99")) == [D("5.00"), D("4.99")]  # exactly
    assert round_amounts(parts, total=D("9.98")) == [D("4.99"), D("4.99")]
    # a total no rounding of the parts gives (a value that means something else) is not taken
    assert round_amounts(parts, total=D("10.01")) == round_amounts(parts) == [D("5.00"), D("4.99")]
    assert round_amounts([D("10.00"), D("2.50")], total=D("12.51")) == [D("10.00"), D("2.50")]
    assert round_amounts([D("-4.995")] * 2, total=D("-10.00")) == [D("-5.00"), D("-5.00")]


def test_distribute_refuses_an_impossible_total() -> None:
    with pytest.raises(ValueError):
        distribute([Fraction(1), Fraction(2)], 4)


def test_split_amount_follows_weights_and_sums_exactly() -> None:
    assert split_amount(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    assert split_amount(D("-10.00"), [D(3), D(1)]) == [D("-7.50"), D("-2.50")]
    assert split_amount(D("1.00"), [D(0), D(0)]) == [D("0.50"), D("0.50")]
    with pytest.raises(ValueError):
        split_amount(D(1), [D(-1)])


def test_split_by_value_keeps_the_sign_of_each_value() -> None:
    assert split_by_value(D("720.00"), [D(1000), D(-200)]) == [D("900.00"), D("-180.00")]
    assert split_by_value(D("-800.00"), [D(-1000), D(200)]) == [D("-1000.00"), D("200.00")]
    # sold above their sum: each keeps its value, the excess on those of the amount's sign
    assert split_by_value(D("850.00"), [D(1000), D(-200)]) == [D("1050.00"), D("-200.00")]
    assert split_by_value(D("100.00"), [D(1000), D(-999)]) == [D("1099.00"), D("-999.00")]
    assert split_by_value(D("0.50"), [D(1000), D(-999)]) == [D("500.00"), D("-499.50")]
    # values that add up to nothing, or to the amount's opposite sign: split by their sizes
    assert split_by_value(D("5.00"), [D(1), D(-1)]) == [D("2.50"), D("2.50")]
    assert split_by_value(D("50.00"), [D(100), D(-300)]) == [D("12.50"), D("37.50")]


@given(
    amount=st.decimals(min_value=-(10**6), max_value=10**6, places=2),
    values=st.lists(
        st.decimals(min_value=-1000, max_value=1000, places=3).filter(bool), min_size=1
    ),
)
def test_split_by_value_sums_exactly_each_part_within_an_ore(
    amount: Decimal, values: list[Decimal]
) -> None:
    parts = split_by_value(amount, values)
    assert sum(parts, D(0)) == amount
    total = sum(values, D(0))
    if total != 0 and (amount == 0 or (amount < 0) == (total < 0)):
        bound = abs(amount) + sum((abs(value) for value in values), D(0))
        for part, value in zip(parts, values, strict=True):
            assert part == 0 or value == 0 or (part < 0) == (value < 0)  # signs kept
            assert abs(part) <= bound + ORE  # never many times the bundle's size
            if abs(amount) <= abs(total):  # a discounted bundle: in proportion
                assert abs(
                    Fraction(part) - Fraction(amount) * Fraction(value) / Fraction(total)
                ) < Fraction(ORE)


def test_price_row_sends_the_net_price_without_discount_when_exact() -> None:
    priced = price_row(D(2), D("4410"), D("8820.00"))
    assert (priced.price, priced.discount, priced.discount_type) == (D("4410.00"), 0, None)


def test_price_row_takes_off_an_ore_with_an_amount_discount() -> None:
    priced = price_row(D("1.5"), D("3.33"), D("4.99"))  # 4.995 would round up to 5.00
    assert (priced.price, priced.discount, priced.discount_type) == (D("3.33"), ORE, "AMOUNT")


def test_price_row_raises_the_price_rather_than_give_a_negative_discount() -> None:
    priced = price_row(D(3), D("0.001"), D("0.01"))  # 0.003 rounds to 0.00, 0.01 is wanted
    assert priced.price == D("0.01") and priced.discount == D("0.02")
    assert fortnox_row_total(D(3), priced.price, priced.discount, "AMOUNT") == D("0.01")


def test_price_row_of_no_amount_at_half_an_ore_goes_at_price_zero() -> None:
    """0.5 x 0.01 is half an öre: a row of the order given 0.00 of it (its total rounded the
    other way) cannot take it off with a discount in öre (0.01 off leaves -0.005, which rounds
    away from zero to -0.01), and a discount of half an öre is none Fortnox keeps."""
    for quantity, unit_price in [("0.5", "0.01"), ("-0.5", "-0.01"), ("0.25", "0.02")]:
        priced = price_row(D(quantity), D(unit_price), D(0))
        assert (priced.price, priced.discount) == (0, 0)
        assert fortnox_row_total(D(quantity), priced.price, priced.discount, "AMOUNT") == 0


def test_price_row_of_half_an_ore_gross_takes_the_discount_from_the_exact_gross() -> None:
    """-0.001 x -5.00 is half an öre (0.005), which rounds to 0.01: a discount of 0.02 from that
    rounded gross would leave -0.015, rounded -0.02; from the exact gross 0.01 off leaves -0.005,
    rounded -0.01, the amount (found by the property below)."""
    priced = price_row(D("-0.001"), D("-4.9950"), D("-0.01"))
    assert (priced.price, priced.discount) == (D("-5.00"), D("0.01"))
    assert fortnox_row_total(D("-0.001"), priced.price, priced.discount, "AMOUNT") == D("-0.01")


def test_price_row_with_zero_quantity() -> None:
    assert price_row(D(0), D("12.345"), D(0)).price == D("12.35")
    with pytest.raises(ValueError):
        price_row(D(0), D(1), D("0.01"))


quantities = st.decimals(min_value=-50, max_value=500, places=3, allow_nan=False)
prices = st.decimals(min_value=-1000, max_value=100000, places=4, allow_nan=False)
ore_amounts = st.integers(min_value=-(10**7), max_value=10**7).map(lambda n: Decimal(n) * ORE)


@given(quantity=quantities, unit_price=prices, amount=ore_amounts)
def test_price_row_always_reaches_the_amount_with_a_non_negative_discount(
    quantity: Decimal, unit_price: Decimal, amount: Decimal
) -> None:
    if quantity == 0:
        amount = Decimal(0)
    priced = price_row(quantity, unit_price, amount)
    assert fortnox_row_total(quantity, priced.price, priced.discount, "AMOUNT") == amount
    assert priced.discount >= 0
    assert priced.price == round_ore(priced.price)
    assert priced.discount == round_ore(priced.discount)  # whole öre, as Fortnox keeps money


@given(st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=5), min_size=1))
def test_round_amounts_property(parts: list[Decimal]) -> None:
    rounded = round_amounts(parts)
    assert sum(rounded) == round_ore(sum(parts))
    assert all(abs(r - p) < ORE for r, p in zip(rounded, parts, strict=True))
    assert all(r == round_ore(r) for r in rounded)
    # the total of the parts rounded one by one (an order value Upsales may state) is reached
    row_by_row = sum((round_ore(part) for part in parts), D(0))
    rounded = round_amounts(parts, total=row_by_row)
    assert sum(rounded) == row_by_row
    assert all(abs(r - p) < ORE for r, p in zip(rounded, parts, strict=True))


def test_a_row_of_half_an_ore_and_an_amount_of_the_other_sign_is_met_not_sent_at_zero() -> None:
    """A unit price and an amount of opposite signs (no caller plans one): 0.5 x 0.01 is half an
    öre, and 0.01 off it leaves -0.005, which rounds away from zero to the amount, -0.01. The
    row is met (never sent at 0.00 in its place); only a row of no amount at half an öre goes at
    price 0."""
    priced = price_row(Decimal("0.5"), Decimal("0.01"), Decimal("-0.01"))
    assert (priced.price, priced.discount) == (Decimal("0.01"), Decimal("0.01"))
    assert fortnox_row_total(D("0.5"), priced.price, priced.discount, "AMOUNT") == D("-0.01")
    assert price_row(Decimal("0.5"), Decimal("0.01"), Decimal("0.00")).price == 0
