"""Row and document totals, computed as Fortnox computes them (Decimal, rounded to öre).

Formulas (the reference marks them *unverified*):

- row ``Total`` = qty x price x (1 - d/100) for a PERCENT discount, qty x price - d for AMOUNT,
  rounded to öre (2 decimals, ROUND_HALF_UP). With ``VATIncluded`` the row total includes VAT.
- VAT per row from the row's VAT percent; summed exactly, rounded once per document.
- ``Net`` = the rows' total excluding VAT; ``Gross`` = Net + Freight + AdministrationFee
  (the fees are amounts excluding VAT, taxed at ``FEE_VAT_PERCENT``); ``TotalVAT`` = VAT of the
  rows and fees; ``Total`` = Gross + TotalVAT + RoundOff.
- ``RoundOff`` (öresutjämning, a tenant setting): the difference that rounds ``Total`` to whole
  krona (ROUND_HALF_UP); zero when the setting is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ufs_sandboxes.fortnox.facts import FEE_VAT_PERCENT

ORE = Decimal("0.01")
KRONA = Decimal(1)
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def round_ore(value: Decimal) -> Decimal:
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def row_total(quantity: Decimal, price: Decimal, discount: Decimal, discount_type: str) -> Decimal:
    gross = quantity * price
    if discount_type == "AMOUNT":
        return round_ore(gross - discount)
    return round_ore(gross * (HUNDRED - discount) / HUNDRED)


def row_vat(total: Decimal, vat_percent: Decimal, *, vat_included: bool) -> Decimal:
    """The VAT inside or on top of a row total, unrounded."""
    if vat_included:
        return total * vat_percent / (HUNDRED + vat_percent)
    return total * vat_percent / HUNDRED


def excluding_vat(total: Decimal, vat_percent: Decimal, *, vat_included: bool) -> Decimal:
    if not vat_included:
        return total
    return round_ore(total - row_vat(total, vat_percent, vat_included=True))


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    net: Decimal
    gross: Decimal
    total_vat: Decimal
    round_off: Decimal
    total: Decimal


def document_totals(
    rows: Iterable[tuple[Decimal, Decimal]],
    *,
    vat_included: bool,
    freight: Decimal = ZERO,
    administration_fee: Decimal = ZERO,
    round_to_krona: bool = False,
) -> DocumentTotals:
    """Totals of a document from its rows as ``(row Total, row VAT percent)`` pairs."""
    rows_sum = ZERO
    rows_vat = ZERO
    for total, vat_percent in rows:
        rows_sum += total
        rows_vat += row_vat(total, vat_percent, vat_included=vat_included)
    rows_vat = round_ore(rows_vat)
    net = rows_sum - rows_vat if vat_included else rows_sum
    fees = freight + administration_fee
    gross = net + fees
    total_vat = rows_vat + round_ore(fees * FEE_VAT_PERCENT / HUNDRED)
    exact_total = gross + total_vat
    total = exact_total.quantize(KRONA, rounding=ROUND_HALF_UP) if round_to_krona else exact_total
    return DocumentTotals(
        net=net,
        gross=gross,
        total_vat=total_vat,
        round_off=total - exact_total,
        total=total,
    )
