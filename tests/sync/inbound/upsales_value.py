"""The value Upsales gives an order's rows, under both answers to
:data:`~upsales_fortnox.integrations.upsales.facts.ORDER_VALUE_ROUNDS_ROWS`."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from upsales_fortnox.integrations.upsales.facts import ORDER_VALUE_ROUNDS_ROWS

ORE = Decimal("0.01")


def order_value(
    rows: Iterable[tuple[Decimal, Decimal]], *, rounds_rows: bool = ORDER_VALUE_ROUNDS_ROWS
) -> Decimal:
    """The value of rows of ``(quantity, price)``: their ``quantity * price``, each rounded to
    öre first when ``rounds_rows``."""
    products = [quantity * price for quantity, price in rows]
    if rounds_rows:
        return sum((p.quantize(ORE, rounding=ROUND_HALF_UP) for p in products), Decimal(0))
    return sum(products, Decimal(0))
