"""What is read of a listed article beyond its list item, for a page of articles at once: its
prices in the chosen price list and in those of the currencies (``currencyPriceLists``: one call
per list, see :mod:`.pricing`), and with ``stockLevels`` its stock (one stock-balance call where
the company has Fortnox Lager, else its list item's quantities: see :mod:`.stock_sync`).

The initial import reads its unlinked articles so, ahead of the page
(:mod:`upsales_fortnox.sync.initial.read_ahead`) or at it; the refresh of the linked products
(:mod:`.extras_refresh`) reads its pages' linked articles so.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from upsales_fortnox.domain.initial_phases import entity_id
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.fortnox.stock import StockLevel
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.inbound.pricing import ListPrices, list_prices
from upsales_fortnox.sync.inbound.product_extras import ProductExtras
from upsales_fortnox.sync.inbound.stock_sync import StockReader


@dataclass(frozen=True)
class ArticleReads:
    prices: ListPrices = field(default_factory=dict)
    """Price list code → the article's prices in it."""
    stock: StockLevel | None = None
    """None: not read (stock levels are off)."""


def lists_to_read(price_list: str | None, extras: ProductExtras) -> list[str]:
    """The price lists an unlinked article's prices are read from: the chosen one, then those
    of the currencies, each once."""
    return list(dict.fromkeys([*([price_list] if price_list else []), *extras.price_lists]))


class ArticleReader:
    """Reads what the settings need of an article (``extras``: what the import writes of the
    products' stock and currency prices)."""

    def __init__(
        self,
        fortnox: FortnoxPort,
        installation_id: uuid.UUID,
        price_list: str | None,
        extras: ProductExtras,
    ) -> None:
        self._fortnox = fortnox
        self.price_lists = lists_to_read(price_list, extras)
        self._stock = StockReader(fortnox, installation_id) if extras.stock else None

    @property
    def reads(self) -> bool:
        """Whether an article costs any read."""
        return bool(self.price_lists) or self._stock is not None

    async def read(self, article: Article) -> ArticleReads:
        prices = await list_prices(self._fortnox, self.price_lists, entity_id(article) or "")
        stock = (await self._stock.level(article))[0] if self._stock is not None else None
        return ArticleReads(prices, stock)

    async def read_many(
        self, articles: Sequence[Article], *, concurrency: int
    ) -> dict[str, ArticleReads]:
        """Article number (as its link names it) → what was read, ``concurrency`` articles
        at a time (the client paces the calls); the first failure is raised."""
        found = await self.read_each(articles, concurrency=concurrency)
        failure = next((item for item in found.values() if isinstance(item, BaseException)), None)
        if failure is not None:
            raise failure
        return {number: item for number, item in found.items() if isinstance(item, ArticleReads)}

    async def read_each(
        self, articles: Sequence[Article], *, concurrency: int
    ) -> dict[str, ArticleReads | BaseException]:
        """As :meth:`read_many`, each article's failure in its place (all are read)."""
        if not self.reads:
            return {}
        semaphore = asyncio.Semaphore(concurrency)

        async def one(article: Article) -> ArticleReads:
            async with semaphore:
                return await self.read(article)

        found = await asyncio.gather(
            *(one(article) for article in articles), return_exceptions=True
        )
        return {entity_id(a) or "": read for a, read in zip(articles, found, strict=True)}
