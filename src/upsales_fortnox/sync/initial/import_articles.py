"""The articles phase: each active Fortnox article linked to the Upsales product with its
article number (else the one product of its name, if that has no article number), or created
there (an inactive one only once a document names it: :mod:`.document_articles`), priced
from the chosen price list (or its list price); with ``stockLevels`` and
``currencyPriceLists`` its product gets its stock and prices per currency too, as the article
sync gives them (:mod:`upsales_fortnox.sync.inbound.product_extras`).

Articles are imported from their list items. What else the page's unlinked articles need is
read first (:mod:`upsales_fortnox.sync.inbound.article_reads`), ahead of the page while the
customers import (:mod:`.read_ahead`), the rest at the page: their prices in the chosen list
and the currencies' lists (one call per article and list), and their stock (none from the list
items, one call per article where the company has Fortnox Lager).

An article's product link is held until its stock and currency prices are written, so a run
that ends in between (a temporary failure) imports the article again and writes them. A write
of these Upsales refuses leaves the product imported, its refusal reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
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
from upsales_fortnox.integrations.fortnox.models import Article, Entity
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.links.repository.link_reads import linked_upsales_ids
from upsales_fortnox.sync.effects.link_sinks import HeldLinks, LinkSink
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.sync.inbound.article_reads import ArticleReader, ArticleReads
from upsales_fortnox.sync.inbound.pricing import base_price
from upsales_fortnox.sync.inbound.product_extras import ExtrasWriter, ProductExtras
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_outcomes import (
    Job,
    Outcome,
    Run,
    carry_out,
    done,
    gather_outcomes,
    own_error,
)
from upsales_fortnox.sync.initial.indexes import ProductIndex, product_index
from upsales_fortnox.sync.initial.read_ahead import PagesAhead
from upsales_fortnox.sync.interpreter import Applied, Effects
from upsales_fortnox.vocabulary import LinkEntity

ReadsAhead = PagesAhead[ArticleReads]
"""The article pages with what was read of their unlinked articles, read ahead."""


@dataclass(frozen=True)
class ProductWrites:
    """The products' stock and currency prices, and where an article's links go once they are
    written (its link is held until then: :class:`~.link_sinks.HeldLinks`)."""

    extras: ExtrasWriter
    links: LinkSink


class ArticleImport:
    """The phase, with Upsales' products by article number and the ids of those linked."""

    def __init__(
        self,
        ctx: ImportContext,
        effects: Effects,
        semaphore: asyncio.Semaphore,
        products: ProductIndex,
        linked_products: set[int],
        reader: ArticleReader,
        reads_ahead: ReadsAhead | None = None,
        writes: ProductWrites | None = None,
    ) -> None:
        self._ctx = ctx
        self._effects = effects
        self._semaphore = semaphore
        self._products = products
        self._linked_products = linked_products
        self._reader = reader
        self._reads_ahead = reads_ahead
        self._writes = writes

    @classmethod
    async def prepare(
        cls,
        ctx: ImportContext,
        effects: Effects,
        semaphore: asyncio.Semaphore,
        reader: ArticleReader,
        reads_ahead: ReadsAhead | None = None,
        *,
        extras: ProductExtras | None = None,
        links: LinkSink | None = None,
    ) -> ArticleImport:
        """``reader`` reads what the import needs of an article (as the read-ahead does);
        ``extras`` the products' stock and currency prices to write, the article's links going
        to ``links`` after them (the preview writes neither)."""
        products = await product_index(ctx.upsales)
        linked = await linked_upsales_ids(
            ctx.session_factory, ctx.installation_id, LinkEntity.PRODUCT
        )
        writes = None
        if extras is not None and extras.wanted and links is not None:
            writes = ProductWrites(await ExtrasWriter.prepare(ctx.upsales, extras), links)
        return cls(ctx, effects, semaphore, products, linked, reader, reads_ahead, writes)

    async def list_page(self, number: int) -> ListPage[Entity]:
        phase = Phase.ARTICLES
        if self._reads_ahead is not None:
            listed = await self._reads_ahead.page(phase, number)
            if listed is not None:
                return listed
        return await self._ctx.fortnox.list_page(
            PHASE_MODELS[phase], number, sort_by=SORT_KEYS[phase], filter=LIST_FILTERS[phase]
        )

    async def import_page(
        self,
        articles: Sequence[Entity],
        linked: dict[str, int],
        given_up: Collection[str] = (),
    ) -> list[Outcome | BaseException]:
        price_list = self._ctx.settings.price_list
        unlinked = [a for a in articles if isinstance(a, Article) and entity_id(a) not in linked]
        reads = await self._reads(unlinked)
        jobs: list[Job] = []
        for article in articles:
            assert isinstance(article, Article)
            number = entity_id(article) or ""
            entry: dict[str, Any] = {"fortnox_id": number, "name": article.Description}
            if number in linked:
                jobs.append((entry, done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            read = reads.get(number, ArticleReads())
            if isinstance(read, BaseException):  # its own failure: this article's alone
                jobs.append((entry, _failing(read)))
                continue
            price = (
                base_price(read.prices.get(price_list, ())) if price_list else article.SalesPrice
            )
            by_article_no = self._products.with_article_no(number)
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
            if self._writes is None:
                run = self._apply(decision.commands, entry, decision.outcome)
            else:
                run = self._apply_with_extras(
                    self._writes,
                    decision.commands,
                    entry,
                    decision.outcome,
                    decision.product_id,
                    read,
                )
            jobs.append((entry, run))
        return await gather_outcomes(jobs, self._semaphore, given_up)

    async def _reads(self, articles: list[Article]) -> dict[str, ArticleReads | BaseException]:
        """Article number → what was read of it: as read ahead, else read now; or the error
        of its own its reading ended with (:func:`~.import_outcomes.own_error`; any other
        failure ends the page)."""
        found: dict[str, ArticleReads | BaseException] = {}
        missing: list[Article] = []
        for article in articles:
            number = entity_id(article)
            read = self._reads_ahead.pop(number) if self._reads_ahead is not None else None
            if read is None:
                missing.append(article)
            else:
                found[number or ""] = read
        read_now = await self._reader.read_each(missing, concurrency=self._ctx.concurrency)
        for outcome in read_now.values():
            if isinstance(outcome, BaseException) and not own_error(outcome):
                raise outcome
        return found | read_now

    def _apply(self, commands: Sequence[Command], entry: dict[str, Any], outcome: str) -> Run:
        async def run() -> Outcome:
            result, applied = await carry_out(commands, self._effects, entry, outcome)
            self._index(applied)
            return result

        return run

    def _apply_with_extras(
        self,
        writes: ProductWrites,
        commands: Sequence[Command],
        entry: dict[str, Any],
        outcome: str,
        product_id: int | None,
        read: ArticleReads,
    ) -> Run:
        """The commands, then the product's stock and currency prices; its link after both."""

        async def run() -> Outcome:
            held = HeldLinks(writes.links)
            writer = Writer(self._ctx.upsales, self._ctx.fortnox, held)
            result, applied = await carry_out(commands, writer, entry, outcome)
            self._index(applied)
            created = next((p for p in applied.created if isinstance(p, Product)), None)
            target = created.id if created is not None else product_id
            if target is None:
                await held.release()
                return result
            product = created or await self._ctx.upsales.get_product(target)
            written = await writes.extras.write(
                target, product, stock=read.stock, prices=read.prices
            )
            if written.refused is not None:
                entry["writes_refused"] = written.refused
            await held.release()
            return Outcome(result.outcome, entry, written.results)

        return run

    def _index(self, applied: Applied) -> None:
        for product in applied.created:
            assert isinstance(product, Product)
            self._products.add(product)
            self._linked_products.add(product.id)


def _failing(failure: BaseException) -> Run:
    """A job that fails as the article's reading did."""

    async def run() -> Outcome:
        raise failure

    return run
