"""An article's stock: from Fortnox Lager where the company has it, else the article's own
quantities.

``GET /api/warehouse/status-v1/stockbalance`` per article: its answer's shape and how a company
without Fortnox Lager answers are guesses kept in :mod:`upsales_fortnox.integrations.fortnox.facts`
(:data:`~upsales_fortnox.integrations.fortnox.facts.STOCK_BALANCE_MAY_BE_A_LIST`,
:data:`~upsales_fortnox.integrations.fortnox.facts.NO_WAREHOUSE_STATUSES`); without the module the
article's ``QuantityInStock`` and ``DisposableQuantity`` are used instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError, FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Article

NO_WAREHOUSE_ERRORS: Final = (FortnoxAuthError, FortnoxNotFound)
"""The errors of :data:`~upsales_fortnox.integrations.fortnox.facts.NO_WAREHOUSE_STATUSES` (403,
404)."""


@dataclass(frozen=True)
class StockLevel:
    in_stock: Decimal
    available: Decimal


def _number(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def balance_of(data: Any, article_number: str) -> StockLevel:
    """The article's stock in a stock-balance answer (an object or a list of them); an article
    the answer does not name has none."""
    entries = data if isinstance(data, list) else [data]
    wanted = article_number.strip().casefold()
    in_stock = available = Decimal(0)
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if str(entry.get("itemId", "")).strip().casefold() != wanted:
            continue
        in_stock += _number(entry.get("inStock"))
        available += _number(entry.get("availableStock"))
    return StockLevel(in_stock, available)


def article_stock(article: Article) -> StockLevel:
    """The article register's own figures (companies without Fortnox Lager)."""
    in_stock = article.QuantityInStock or Decimal(0)
    available = article.DisposableQuantity
    return StockLevel(in_stock, available if available is not None else in_stock)
