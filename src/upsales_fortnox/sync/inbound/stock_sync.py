"""Article stock into the Upsales product fields ``FORTNOX_STOCK_IN_STOCK`` and
``FORTNOX_STOCK_AVAILABLE`` (setting ``stockLevels``).

The stock comes from Fortnox Lager (one ``stockbalance`` call for the article: the spec's answer
holds one article's balance) where the company has it, else from the article as the sync has
just read it, whole or as a list item (no call). A company found without Fortnox Lager is
remembered for :data:`NO_WAREHOUSE_RECHECK_SECONDS`, so the probe is not repeated for every
article. The write sends the product's whole ``custom`` array as read, and is skipped when both
values are already there.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.fortnox.stock import (
    NO_WAREHOUSE_ERRORS,
    StockLevel,
    article_stock,
    balance_of,
)
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.models import CustomValue, Product, ProductDraft

# --- product custom fields (issue 11, part 5: stock) ---
IN_STOCK_FIELD_ALIAS: Final = "FORTNOX_STOCK_IN_STOCK"
AVAILABLE_FIELD_ALIAS: Final = "FORTNOX_STOCK_AVAILABLE"
# --- end product custom fields (stock) ---

NO_WAREHOUSE_RECHECK_SECONDS: Final = 3600.0
WAREHOUSE: Final = "warehouse"
ARTICLE: Final = "article"


class WarehouseMemory:
    """Installations whose Fortnox company answered "no Fortnox Lager", and when."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._without: dict[uuid.UUID, float] = {}

    def lacks_warehouse(self, installation_id: uuid.UUID) -> bool:
        seen = self._without.get(installation_id)
        return seen is not None and self._clock() - seen < NO_WAREHOUSE_RECHECK_SECONDS

    def note_no_warehouse(self, installation_id: uuid.UUID) -> None:
        self._without[installation_id] = self._clock()


WAREHOUSES = WarehouseMemory()
"""Shared by the jobs of a process."""


async def stock_level(
    fortnox: FortnoxPort,
    installation_id: uuid.UUID,
    article: Article,
    memory: WarehouseMemory = WAREHOUSES,
) -> tuple[StockLevel, str]:
    """The article's stock and where it came from (:data:`WAREHOUSE` or :data:`ARTICLE`)."""
    number = article.ArticleNumber or ""
    if number and not memory.lacks_warehouse(installation_id):
        try:
            answer = await fortnox.stock_balance(number)
        except NO_WAREHOUSE_ERRORS:
            memory.note_no_warehouse(installation_id)
        else:
            return balance_of(answer, number), WAREHOUSE
    return article_stock(article), ARTICLE


class StockReader:
    """Reads articles' stock for one installation, several at once, the first alone: that one
    finds out whether the company has Fortnox Lager (:data:`WAREHOUSES` remembers it), so the
    reads after it do not each probe."""

    def __init__(
        self,
        fortnox: FortnoxPort,
        installation_id: uuid.UUID,
        memory: WarehouseMemory = WAREHOUSES,
    ) -> None:
        self._fortnox = fortnox
        self._installation_id = installation_id
        self._memory = memory
        self._first = asyncio.Lock()
        self._probed = False

    async def level(self, article: Article) -> tuple[StockLevel, str]:
        """As :func:`stock_level`."""
        if not self._probed:
            async with self._first:
                if not self._probed:
                    try:
                        return await self._read(article)
                    finally:
                        self._probed = True
        return await self._read(article)

    async def _read(self, article: Article) -> tuple[StockLevel, str]:
        return await stock_level(self._fortnox, self._installation_id, article, self._memory)


def stock_text(value: Decimal) -> str:
    """A quantity as Upsales shows it: no exponent, no trailing zeros (``"12"``, ``"2.5"``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _same(have: Any, want: Decimal) -> bool:
    try:
        return have is not None and Decimal(str(have)) == want
    except InvalidOperation:
        return False


def stock_changes(
    current: Iterable[CustomValue] | None, field_ids: Mapping[str, int], level: StockLevel
) -> list[CustomValue]:
    """The custom values to write (empty: Upsales already shows this stock)."""
    wanted = {
        IN_STOCK_FIELD_ALIAS: level.in_stock,
        AVAILABLE_FIELD_ALIAS: level.available,
    }
    have = {value.fieldId: value.value for value in current or ()}
    changes = []
    for alias, quantity in wanted.items():
        field_id = field_ids.get(alias)
        if field_id is not None and not _same(have.get(field_id), quantity):
            changes.append(CustomValue(fieldId=field_id, value=stock_text(quantity)))
    return changes


async def write_stock(
    upsales: UpsalesPort,
    product_id: int,
    product: Product | None,
    field_ids: Mapping[str, int],
    level: StockLevel,
) -> str:
    """Put the stock on the product; ``written``, ``unchanged`` or ``no_field``."""
    if not any(alias in field_ids for alias in (IN_STOCK_FIELD_ALIAS, AVAILABLE_FIELD_ALIAS)):
        return "no_field"
    current = product.custom if product is not None else None
    changes = stock_changes(current, field_ids, level)
    if not changes:
        return "unchanged"
    custom = with_custom_values(current, changes)
    await upsales.update_product(product_id, ProductDraft(custom=custom))
    return "written"
