"""Fortnox row amounts → Upsales order rows whose value is Fortnox's net to the öre (pure).

Fortnox rounds each row's total to öre and adds the rows up into ``Net``; with ``VATIncluded``
the rows' prices include VAT and ``Net`` is their total less the VAT, rounded once per document.
Upsales keeps no row total: an order's value is the sum of ``quantity * price`` (Postman
collection, "Create an order"). A row's ``discount`` is not documented as counted
(``facts.ORDER_ROW_DISCOUNT_MEANING``), so no row field can carry an öre difference, and a row
whose total does not divide by its quantity (300 x 10 kr less an AMOUNT discount of 1 kr: 2 999
kr, 9.9967 kr a unit) cannot be one row priced in öre. The amounts are therefore settled in two
steps:

1. Each row's amount excluding VAT, in öre (:func:`net_amounts`). Rows priced without VAT keep
   Fortnox's row total. With ``VATIncluded`` each row's exact share without VAT is rounded down
   to öre and the öre still missing go to the rows with the largest fractions (largest
   remainder), so the rows add up to the document's net instead of drifting by a rounding per
   row. The net is the document's own ``Net`` when it has one (Fortnox's figure is the arbiter,
   its row formula is a guess: ``facts.ROW_TOTAL_FORMULA``), else it is computed as Fortnox does.
2. Each row's amount becomes Upsales rows of its product (:func:`split_row`), every one priced in
   whole öre with ``quantity * price`` a whole number of öre, so the value is the same whether
   Upsales adds rows exactly or rounds each one (``facts.ORDER_VALUE_ROUNDS_ROWS``):

   * the amount divides by the quantity to a price in öre: one row, as in Fortnox;
   * else, when the quantity is more than one (or less than minus one, credit rows): two rows,
     the quantity less one at the unit price rounded to öre, plus one at what is left
     (299 x 10.00 + 1 x 9.00 = 2 999.00). A fractional quantity less one rounds the price to the
     step that keeps its amount in öre (0.5 → steps of 0.02 kr);
   * else (a quantity between minus one and one that does not divide, or a zero quantity with
     an amount, such as an AMOUNT discount on an empty row): one row of quantity 1 (-1 for a
     credit row) at the amount.

Why two rows rather than quantity 1 at the row total for every such row: the two rows still
show the product, add up to the quantity sold, and show a unit price within an öre (or a
fractional quantity's step) of the true one; a single row of quantity 1 would hide how many
were sold and skew every count of sold units. The extra row appears only for rows that do not
divide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import gcd
from typing import Final

from upsales_fortnox.domain.outbound.money import distribute

ORE: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)


def round_ore(value: Decimal) -> Decimal:
    """To öre, halves away from zero (as Fortnox rounds)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RowTotal:
    """One valued Fortnox row: its total as Fortnox rounds it (VAT included when the document's
    prices include it) and its VAT percent."""

    total: Decimal
    vat_percent: Decimal


def fortnox_net(rows: Sequence[RowTotal], *, vat_included: bool) -> Decimal:
    """The rows' ``Net`` as Fortnox computes it: their totals, less their VAT (summed exactly,
    rounded once) when the prices include VAT."""
    total = sum((row.total for row in rows), ZERO)
    if not vat_included:
        return total
    vat = sum((row.total * row.vat_percent / (HUNDRED + row.vat_percent) for row in rows), ZERO)
    return total - round_ore(vat)


def _exact_ore(row: RowTotal, *, vat_included: bool) -> Fraction:
    """The row's amount excluding VAT in öre, exact (a fraction of an öre with VAT included)."""
    total = Fraction(row.total) * 100
    if not vat_included:
        return total
    vat = Fraction(row.vat_percent)
    return total * 100 / (100 + vat)


def rows_net(rows: Sequence[RowTotal], *, vat_included: bool, net: Decimal | None) -> Decimal:
    """What the rows add up to (see :func:`net_amounts`): the document's ``net`` when it is
    within an öre a row of :func:`fortnox_net`, else that."""
    computed = fortnox_net(rows, vat_included=vat_included)
    if net is None or abs(net - computed) > ORE * len(rows):
        return computed
    return round_ore(net)


def net_amounts(
    rows: Sequence[RowTotal], *, vat_included: bool, net: Decimal | None
) -> list[Decimal]:
    """Each row's amount excluding VAT, in öre, adding up to ``net`` exactly.

    ``net`` is the document's ``Net`` when it is within an öre a row of :func:`fortnox_net` (a
    rounding Fortnox does otherwise than ``facts.ROW_TOTAL_FORMULA``), else :func:`fortnox_net`:
    a larger difference means Fortnox totals other quantities than the rows' (an order's
    ``Net`` once part of it is invoiced), and the rows stand. The öre go by largest remainder,
    what is beyond the rows' fractions to the largest row.
    """
    if not rows:
        return []
    units = int(rows_net(rows, vat_included=vat_included, net=net) * 100)
    exact = [_exact_ore(row, vat_included=vat_included) for row in rows]
    floors = [part.numerator // part.denominator for part in exact]
    fractional = sum(1 for part, floor in zip(exact, floors, strict=True) if part != floor)
    if 0 <= units - sum(floors) <= fractional:
        parts = distribute(exact, units)
    else:
        parts = distribute(exact, round(sum(exact, Fraction(0))))
        largest = max(range(len(parts)), key=lambda index: abs(parts[index]))
        parts[largest] += units - sum(parts)
    return [Decimal(part) * ORE for part in parts]


def _price_step(quantity: Decimal) -> Decimal:
    """The smallest price in whole öre whose multiples times ``quantity`` are whole öre."""
    exponent = quantity.normalize().as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return ORE
    scale: int = 10**-exponent
    numerator = int(abs(quantity) * scale)
    return ORE * (scale // gcd(numerator, scale))


@dataclass(frozen=True)
class PricedRow:
    """One Upsales row of a Fortnox row: quantity and net unit price (whole öre)."""

    quantity: Decimal
    price: Decimal


def split_row(quantity: Decimal, amount: Decimal) -> list[PricedRow]:
    """Upsales rows for ``amount`` (öre) of ``quantity`` units: one row when the amount divides
    to a price in öre, else two (the quantity less one, plus one), else one of quantity ±1."""
    if quantity != 0:
        price = amount / quantity
        if price == round_ore(price) and round_ore(price) * quantity == amount:
            return [PricedRow(quantity, round_ore(price))]
    unit = -ONE if quantity < 0 else ONE
    if abs(quantity) > 1:
        rest = quantity - unit
        step = _price_step(rest)
        price = (amount / quantity / step).to_integral_value(rounding=ROUND_HALF_UP) * step
        left = round_ore((amount - rest * price) * unit)  # whole öre already: no rounding
        return [PricedRow(rest, round_ore(price)), PricedRow(unit, left)]
    return [PricedRow(unit, round_ore(amount * unit))]
