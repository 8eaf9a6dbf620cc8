"""The articles phase: each active Fortnox article linked to the Upsales product with its
article number (else the one product of its name, if that has no article number), or created
there, priced from the chosen price list (or its list price).

Articles are imported from their list items; with a price list, the prices of the page's
unlinked articles are read first (one call each: see :mod:`upsales_fortnox.sync.inbound.pricing`),
ahead of the page while the customers import (:mod:`.read_ahead`), the rest at the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from upsales_fortnox.domain.inbound.products import decide_article
from upsales_fortnox.domain.initial_phases import (
    LIST_FILTERS,
    PHASE_MODELS,
    SORT_KEYS,
    Phase,
    entity_id,
)
from upsales_fortnox.domain.sync_commands import Command
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Article, Entity, Price
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.links.repository.link_reads import linked_upsales_ids
from upsales_fortnox.sync.inbound.pricing import article_prices, base_price
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_outcomes import (
    Job,
    Outcome,
    Run,
    carry_out,
    done,
    gather_outcomes,
)
from upsales_fortnox.sync.initial.indexes import ProductIndex, product_index
from upsales_fortnox.sync.initial.read_ahead import PagesAhead
from upsales_fortnox.sync.interpreter import Effects
from upsales_fortnox.vocabulary import LinkEntity

PricesAhead = PagesAhead[list[Price]]
"""The article pages with their unlinked articles' prices, read ahead (with a price list)."""


class ArticleImport:
    """The phase, with Upsales' products by article number and the ids of those linked."""

    def __init__(
        self,
        ctx: ImportContext,
        effects: Effects,
        semaphore: asyncio.Semaphore,
        products: ProductIndex,
        linked_products: set[int],
        prices_ahead: PricesAhead | None = None,
    ) -> None:
        self._ctx = ctx
        self._effects = effects
        self._semaphore = semaphore
        self._products = products
        self._linked_products = linked_products
        self._prices_ahead = prices_ahead

    @classmethod
    async def prepare(
        cls,
        ctx: ImportContext,
        effects: Effects,
        semaphore: asyncio.Semaphore,
        prices_ahead: PricesAhead | None = None,
    ) -> ArticleImport:
        products = await product_index(ctx.upsales)
        linked = await linked_upsales_ids(
            ctx.session_factory, ctx.installation_id, LinkEntity.PRODUCT
        )
        return cls(ctx, effects, semaphore, products, linked, prices_ahead)

    async def list_page(self, number: int) -> ListPage[Entity]:
        phase = Phase.ARTICLES
        if self._prices_ahead is not None:
            listed = await self._prices_ahead.page(phase, number)
            if listed is not None:
                return listed
        return await self._ctx.fortnox.list_page(
            PHASE_MODELS[phase], number, sort_by=SORT_KEYS[phase], filter=LIST_FILTERS[phase]
        )

    async def import_page(
        self, articles: Sequence[Entity], linked: dict[str, int]
    ) -> list[Outcome | BaseException]:
        price_list = self._ctx.settings.price_list
        prices: dict[str, Decimal] = {}
        if price_list:
            numbers = [entity_id(article) or "" for article in articles]
            prices = await self._prices(price_list, [n for n in numbers if n not in linked])
        jobs: list[Job] = []
        for article in articles:
            assert isinstance(article, Article)
            number = entity_id(article) or ""
            entry: dict[str, Any] = {"fortnox_id": number, "name": article.Description}
            if number in linked:
                jobs.append((entry, done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            price = prices.get(number) if price_list else article.SalesPrice
            by_article_no = self._products.by_article_no.get(number)
            decision = decide_article(
                number,
                article,
                price,
                link=None,
                linked_product=None,
                product_by_article_no=by_article_no,
                linked_product_ids=self._linked_products,
                product_by_name=(
                    self._products.only_named(article.Description)
                    if by_article_no is None
                    else None
                ),
            )
            if decision.product_id is not None:
                self._linked_products.add(decision.product_id)
                entry["upsales_id"] = decision.product_id
            if not decision.priced:
                entry["note"] = "no price in the chosen price list; list price 0"
            jobs.append((entry, self._apply(decision.commands, entry, decision.outcome)))
        return await gather_outcomes(jobs, self._semaphore)

    async def _prices(self, price_list: str, numbers: list[str]) -> dict[str, Decimal]:
        """Article number → base price in ``price_list``: as read ahead, else read now."""
        prices: dict[str, Decimal] = {}
        missing: list[str] = []
        for number in numbers:
            read = self._prices_ahead.pop(number) if self._prices_ahead is not None else None
            price = base_price(read) if read is not None else None
            if read is None:
                missing.append(number)
            elif price is not None:
                prices[number] = price
        read_now = await article_prices(
            self._ctx.fortnox, price_list, missing, concurrency=self._ctx.concurrency
        )
        return prices | read_now

    def _apply(self, commands: Sequence[Command], entry: dict[str, Any], outcome: str) -> Run:
        async def run() -> Outcome:
            result, applied = await carry_out(commands, self._effects, entry, outcome)
            for product in applied.created:
                assert isinstance(product, Product)
                self._products.add(product)
                self._linked_products.add(product.id)
            return result

        return run
