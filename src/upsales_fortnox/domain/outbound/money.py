"""Exact money for won deals: Fortnox's row total rule and öre-exact row amounts.

Upsales' net value of an order is ``sum(quantity * price)`` over its rows (``price`` is the net
unit price, discount included), added up exactly or each row rounded first: which one Upsales
does is *unverified* (``facts.ORDER_VALUE_ROUNDS_ROWS``), and the two differ by an öre or more
when row amounts have fractions of an öre (a fractional quantity, a price with more than two
decimals). Fortnox computes every row's ``Total`` itself and rounds it to öre, then sums the
rows into ``Net``. Sending ``quantity`` and ``price`` alone can therefore miss Upsales' value
by an öre or more. The rule used here:

1. The document's target is the order's value as Upsales states it (its ``value``), to öre,
   when the rows' amounts can round to it (each by less than an öre), as they can to either
   sum; else (no value, or one that is some other figure) the exact sum rounded to öre
   (:func:`round_ore`). So ``Net`` is the value Upsales shows under either answer.
2. That target is split over the rows so that each row gets its own amount rounded down to
   öre, and the öre left over go to the rows with the largest fractions (largest remainder, see
   :func:`distribute`). No row moves more than one öre from its exact amount.
3. Each Fortnox row is then priced so that Fortnox's own total rule yields exactly that row
   amount (:func:`price_row`): the net unit price to öre, plus an ``AMOUNT`` discount of the
   öre difference when one is needed. The discount is never negative.

For ordinary orders (whole quantities, prices in öre) step 3 sends the Upsales net unit price
with no discount at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

ORE: Final = Decimal("0.01")
ZERO: Final = Decimal(0)
HUNDRED: Final = Decimal(100)

DISCOUNT_AMOUNT: Final = "AMOUNT"
DISCOUNT_PERCENT: Final = "PERCENT"


def round_ore(value: Decimal) -> Decimal:
    """To öre, halves away from zero (as Fortnox rounds)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def fortnox_row_total(
    quantity: Decimal, price: Decimal, discount: Decimal, discount_type: str | None
) -> Decimal:
    """A row's ``Total`` as Fortnox computes it (a guess: ``facts.ROW_TOTAL_FORMULA``).

    PERCENT: ``qty * price * (1 - d/100)``; AMOUNT: ``qty * price - d`` (a discount on the row,
    not per unit); rounded to öre. Rows without a discount type count as PERCENT, Fortnox's
    default.
    """
    gross = quantity * price
    if discount_type == DISCOUNT_AMOUNT:
        return round_ore(gross - discount)
    return round_ore(gross * (HUNDRED - discount) / HUNDRED)


def fortnox_net(rows: Iterable[tuple[Decimal, Decimal, Decimal, str | None]]) -> Decimal:
    """A document's ``Net`` (prices excluding VAT): the sum of its row totals.

    ``rows`` are ``(quantity, price, discount, discount_type)``.
    """
    return sum((fortnox_row_total(*row) for row in rows), ZERO)


def _ore_units(value: Decimal) -> Fraction:
    return Fraction(value) * 100


def distribute(exact_parts: Sequence[Fraction], total: int) -> list[int]:
    """Whole units (öre) for each part, summing to ``total``.

    Every part is first rounded down; the units still missing go one each to the parts with the
    largest fractions (ties: earlier parts first). ``total`` must lie between the sum of the
    rounded-down parts and that sum plus the number of parts with a fraction; callers pass the
    rounded sum of the parts, or parts that add up to ``total`` exactly.
    """
    floors = [part.numerator // part.denominator for part in exact_parts]
    missing = total - sum(floors)
    fractional = [index for index, part in enumerate(exact_parts) if part != floors[index]]
    if not 0 <= missing <= len(fractional):
        raise ValueError(f"cannot distribute {total} over parts summing to {sum(exact_parts)}")
    by_fraction = sorted(
        fractional, key=lambda index: (-(exact_parts[index] - floors[index]), index)
    )
    units = list(floors)
    for index in by_fraction[:missing]:
        units[index] += 1
    return units


def round_amounts(amounts: Sequence[Decimal], total: Decimal | None = None) -> list[Decimal]:
    """Each amount to öre (moved by less than an öre), such that they sum to ``total`` (öre)
    exactly when they can (:func:`distribute`), else to ``round_ore(sum(amounts))``."""
    exact = [_ore_units(amount) for amount in amounts]
    units = int(round_ore(sum(amounts, ZERO)) * 100)
    if total is not None and _within_rounding(exact, total * 100):
        units = int(total * 100)
    return [Decimal(unit) * ORE for unit in distribute(exact, units)]


def _within_rounding(exact_parts: Sequence[Fraction], total: Decimal) -> bool:
    """Whether ``total`` (whole units) is a sum of the parts each rounded down or up."""
    floors = sum(part.numerator // part.denominator for part in exact_parts)
    fractional = sum(1 for part in exact_parts if part.denominator != 1)
    return total == total.to_integral_value() and floors <= total <= floors + fractional


def split_amount(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """An öre amount split in proportion to non-negative ``weights``, each part to öre, the
    parts summing to ``amount`` exactly. All weights zero: an even split."""
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        raise ValueError("nothing to split over")
    effective = [Fraction(weight) for weight in weights]
    if sum(effective) == 0:
        effective = [Fraction(1)] * len(weights)
    weight_sum = sum(effective)
    units = int(amount * 100)
    negative = units < 0
    exact = [abs(units) * weight / weight_sum for weight in effective]
    parts = distribute(exact, abs(units))
    return [Decimal(-part if negative else part) * ORE for part in parts]


def split_by_value(amount: Decimal, values: Sequence[Decimal]) -> list[Decimal]:
    """An öre amount split over ``values`` with their signs kept (a negative value, such as a
    discount product, takes a part of the amount's opposite sign), each part to öre, the parts
    summing to ``amount`` exactly.

    Sold at or below their sum (a discounted bundle), each value takes its share in proportion;
    sold above it, each keeps its value and the excess goes to the values of the amount's sign
    in proportion (so values that nearly cancel out never take parts many times their size).
    Values adding up to zero, or to the opposite sign of ``amount``, cannot keep their signs:
    the split is then by their sizes (:func:`split_amount`)."""
    value_sum = sum((Fraction(value) for value in values), Fraction(0))
    units = int(amount * 100)
    if value_sum == 0 or (units != 0 and (units < 0) != (value_sum < 0)):
        return split_amount(amount, [abs(value) for value in values])
    value_units = value_sum * 100
    if abs(units) <= abs(value_units):
        exact = [units * Fraction(value) / value_sum for value in values]
    else:
        excess = units - value_units
        takers = [abs(Fraction(value)) if (value > 0) == (units > 0) else 0 for value in values]
        taken = sum(takers, Fraction(0))
        exact = [
            Fraction(value) * 100 + excess * taker / taken
            for value, taker in zip(values, takers, strict=True)
        ]
    return [Decimal(part) * ORE for part in distribute(exact, units)]


@dataclass(frozen=True)
class RowPrice:
    """What to send for one Fortnox row: its unit price and an AMOUNT discount (zero: none)."""

    price: Decimal
    discount: Decimal

    @property
    def discount_type(self) -> str | None:
        return DISCOUNT_AMOUNT if self.discount else None


def price_row(quantity: Decimal, unit_price: Decimal, amount: Decimal) -> RowPrice:
    """Price and discount for which :func:`fortnox_row_total` gives exactly ``amount`` (öre).

    The unit price is ``unit_price`` to öre. When that would leave the row below ``amount``
    (which would need a negative discount), the price is raised to the smallest öre price that
    reaches it; the discount then takes off the excess (counted from the exact quantity x
    price where that is half an öre, which rounds away from zero on either side of the
    discount). A zero quantity only ever carries a zero amount.
    """
    if quantity == 0:
        if amount != 0:
            raise ValueError("a row with quantity 0 cannot carry an amount")
        return RowPrice(round_ore(unit_price), ZERO)
    price = round_ore(unit_price)
    if round_ore(quantity * price) < amount:
        rounding = ROUND_CEILING if quantity > 0 else ROUND_FLOOR
        price = (amount / quantity).quantize(ORE, rounding=rounding)
    gross = quantity * price
    discount = round_ore(gross) - amount
    if fortnox_row_total(quantity, price, discount, DISCOUNT_AMOUNT) != amount:
        # a gross of half an öre rounds away from zero on either side of the discount, so the
        # discount is taken from the exact gross instead (0.005 less 0.01 is -0.005: -0.01)
        exact = gross - amount
        for candidate in (
            exact.quantize(ORE, rounding=ROUND_FLOOR),
            exact.quantize(ORE, rounding=ROUND_CEILING),
        ):
            if candidate >= 0 and (
                fortnox_row_total(quantity, price, candidate, DISCOUNT_AMOUNT) == amount
            ):
                return RowPrice(price, candidate)
        # Halves round away from zero, so the öre shift misses only a row of no amount whose
        # quantity x price is exactly half an öre (0.5 x 0.01): no discount in öre takes that
        # to 0.00 (half an öre is none Fortnox keeps), a price of 0 does. Any other miss is a
        # row this rule cannot price: refused rather than sent at another amount.
        if amount != 0:
            raise ValueError(
                f"no price and discount in cents make {quantity} rows come to {amount}"
            )
        return RowPrice(ZERO, ZERO)
    return RowPrice(price, discount)
