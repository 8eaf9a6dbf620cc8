"""Bringing the linked products' stock and currency prices up to date once a setting asks for
them (``stockLevels`` turned on, a currency added to ``currencyPriceLists`` or mapped to another
price list): the initial sync wrote none when they were off, and the article sync writes them
only when an article changes.

The settings API calls :func:`enqueue_extras_refresh` in the transaction that saves such a change
(:func:`~upsales_fortnox.domain.sync_settings.product_extras_turned_on`); the
``refresh_product_extras`` job then lists the Fortnox articles (every article, active or not,
up to 500 a call) and writes each linked one's product as the article sync would
(:mod:`.product_extras`): the product read (one Upsales call), the stock from the list item or
Fortnox Lager (one call each with it), the prices in each currency's list (one call per article
and list). Products of articles that are not linked are left be: they are not the sync's.

The list is read with :meth:`~upsales_fortnox.integrations.ports.FortnoxPort.iter_gapless`
(overlapping pages, see :mod:`upsales_fortnox.integrations.fortnox.gapless`): read page after
page, an article deleted between two page reads would move the next page's first article onto
the page read already, and its product's stock and prices would stay stale. The settings are
read as the job runs, so changes made while it waits are one refresh; progress (the articles
whose products are done) is checkpointed after every :data:`BATCH` articles, and a job
interrupted lists again from the start, skipping those.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.initial_phases import entity_id
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.jobs import Enqueued, JobContext, enqueue
from upsales_fortnox.links.repository.link_reads import article_links
from upsales_fortnox.sync.inbound.article_reads import ArticleReader, ArticleReads
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.inbound.product_extras import (
    ExtrasWriter,
    ExtrasWritten,
    ProductExtras,
)
from upsales_fortnox.sync.results.inbound import ExtrasRefreshResult
from upsales_fortnox.vocabulary import FortnoxType, JobKind

REFRESH_ENTITY: Final = "products"
"""``entity_id`` of the job, so a second request while one is queued coalesces into it."""
BATCH: Final = 500
"""Articles listed between two checkpoints."""
CONCURRENCY: Final = 8
"""Products of a page worked on at once (the clients pace their calls)."""


async def enqueue_extras_refresh(session: DbSession, installation_id: uuid.UUID) -> Enqueued:
    """Queue the refresh of the installation's linked products (in the caller's transaction)."""
    return await enqueue(
        session,
        installation_id=installation_id,
        kind=JobKind.REFRESH_PRODUCT_EXTRAS,
        entity_id=REFRESH_ENTITY,
    )


def _settings_key(extras: ProductExtras) -> str:
    """What a checkpoint was made for: a run under other settings starts again."""
    lists = ",".join(f"{currency}={code}" for currency, code in extras.currency_lists)
    return f"stock={int(extras.stock)};{lists}"


class _Tally:
    def __init__(self, saved: dict[str, Any]) -> None:
        self.checked = int(saved.get("checked", 0))
        self.missing = int(saved.get("missing", 0))
        self.writes: dict[str, dict[str, int]] = {
            kind: dict(by_result) for kind, by_result in dict(saved.get("writes") or {}).items()
        }

    def add(self, written: ExtrasWritten | None) -> None:
        self.checked += 1
        if written is None:
            self.missing += 1
            return
        for kind, result in written.results.items():
            by_result = self.writes.setdefault(kind, {})
            by_result[result] = by_result.get(result, 0) + 1

    def saved(self) -> dict[str, Any]:
        return {"checked": self.checked, "missing": self.missing, "writes": self.writes}


async def refresh_product_extras(job: InboundJob, ctx: JobContext) -> ExtrasRefreshResult:
    context = job.context
    extras = ProductExtras.of(context.settings)
    if not extras.wanted:
        return ExtrasRefreshResult()
    if not await article_links(job.session_factory, job.installation_id):
        return ExtrasRefreshResult(writes={})
    key = _settings_key(extras)
    resumed = ctx.payload.get("settings") == key and "done" in ctx.payload
    done: set[str] = set(ctx.payload["done"]) if resumed else set()
    tally = _Tally(dict(ctx.payload.get("tally") or {}) if resumed else {})
    writer = await ExtrasWriter.prepare(context.upsales, extras)
    reader = ArticleReader(context.fortnox, job.installation_id, None, extras)
    async for batch in _batches(context.fortnox.iter_gapless(Article)):
        articles = [article for article in batch if entity_id(article) not in done]
        for number, written in await _refresh_page(job, reader, writer, articles):
            tally.add(written)
            done.add(number)
        await ctx.checkpoint({"settings": key, "done": sorted(done), "tally": tally.saved()})
    return ExtrasRefreshResult(tally.checked, tally.missing, tally.writes)


async def _batches(articles: AsyncIterator[Article]) -> AsyncIterator[list[Article]]:
    """The articles in lists of :data:`BATCH`."""
    batch: list[Article] = []
    async for article in articles:
        batch.append(article)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _refresh_page(
    job: InboundJob, reader: ArticleReader, writer: ExtrasWriter, articles: list[Article]
) -> list[tuple[str, ExtrasWritten | None]]:
    """The linked articles' products of a batch, written (None: a product gone), by number."""
    numbers_listed = [number for a in articles if (number := entity_id(a))]
    linked = (
        await job.upsales_ids_by_fortnox(FortnoxType.ARTICLE, numbers_listed)
        if numbers_listed
        else {}
    )
    numbers = [entity_id(a) or "" for a in articles if entity_id(a) in linked]
    wanted = [a for a in articles if entity_id(a) in linked]
    reads = await reader.read_many(wanted, concurrency=CONCURRENCY)
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(number: str) -> tuple[str, ExtrasWritten | None]:
        async with semaphore:
            return number, await _write(job, writer, linked[number], reads[number])

    return list(await asyncio.gather(*(one(number) for number in numbers)))


async def _write(
    job: InboundJob, writer: ExtrasWriter, product_id: int, read: ArticleReads
) -> ExtrasWritten | None:
    """The product's stock and currency prices; None when Upsales no longer has it."""
    try:
        product = await job.context.upsales.get_product(product_id)
    except UpsalesNotFound:
        return None
    return await writer.write(product_id, product, stock=read.stock, prices=read.prices)
