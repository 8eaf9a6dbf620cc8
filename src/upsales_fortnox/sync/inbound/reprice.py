"""Re-pricing every product when the chosen price list (setting ``priceList``) changes, and
once a day.

The settings API calls :func:`enqueue_reprice` in the transaction that saves a new price list,
and the reconciliation's daily article sweep (:mod:`upsales_fortnox.sync.reconcile`) calls it
too, since no event tells of a price changed in a price list;
the ``reprice_products`` job then goes through the Upsales products and updates each whose list
price differs: a product linked to an article gets the article's base price in the list
(:mod:`.pricing`), or 0 when the list has none; an unlinked product whose article number the
list prices gets that price. With no list chosen (Fortnox's default list) the price is the
article's ``SalesPrice``, as the article sync takes it. Fortnox lists a price list's prices one
article at a time, so the job spends one call per product with an article (linked, or by its
own article number) and none on other products. An inactive product is left as it is (no
call): its article is inactive or deleted in Fortnox, or the product was taken out of sale in
Upsales, and the article's sync prices it once the article is active again (its price is part
of what that sync compares).

The calls take minutes for a large catalogue (Fortnox allows 25 per 5 s), so a job prices a
batch of :data:`BATCH_SIZE` products (by Upsales id) and queues the rest as the next job
(:meth:`~upsales_fortnox.jobs.JobContext.queue_rest`, in the transaction that records the batch
done): the installation's other jobs queued meanwhile (a bookkeeper's invoice, an article's
change) run between two batches instead of after the last product, and all draw on the
tenant's one Fortnox budget. Won deals run beside a batch (a sales rep's deal is not kept
waiting for it): it writes only the products' list prices, which no won deal writes. The next
job's payload names the price list and the last product passed; with another list chosen
meanwhile it starts over from the first product. A request made while the re-pricing is under
way joins it: one queued between batches coalesces into the next batch's job, and one queued
while a batch runs takes the rest over (the daily one cannot come then: the reconciliation that
queues it does not run beside a batch), so no second pass starts and nothing is priced twice.
Within a batch progress is checkpointed every :data:`CHECKPOINT_EVERY` products, so a batch
that is interrupted resumes after the last checkpoint, asking again for at most a few prices.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.identity import normalise_article_number
from upsales_fortnox.domain.inbound.products import reprice_changes
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.jobs import Enqueued, JobContext, enqueue
from upsales_fortnox.links.repository.link_reads import article_links
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.inbound.pricing import chosen_price
from upsales_fortnox.sync.results.inbound import RepriceResult
from upsales_fortnox.vocabulary import JobKind

REPRICE_ENTITY: Final = "products"
"""``entity_id`` of the job, so a second request while one is queued coalesces into it."""
BATCH_SIZE: Final = 50
"""Products priced (one Fortnox call each) by one job: 10 s of Fortnox's 25 calls per 5 s,
the most the installation's other jobs wait for the re-pricing."""
CHECKPOINT_EVERY: Final = 10
"""Products priced between two checkpoints within a batch."""


async def enqueue_reprice(session: DbSession, installation_id: uuid.UUID) -> Enqueued:
    """Queue re-pricing of the installation's products (inside the caller's transaction)."""
    return await enqueue(
        session,
        installation_id=installation_id,
        kind=JobKind.REPRICE_PRODUCTS,
        entity_id=REPRICE_ENTITY,
    )


def _progress(price_list: str | None, after_product_id: int) -> dict[str, Any]:
    return {"price_list": price_list, "after_product_id": after_product_id}


async def reprice_products(job: InboundJob, ctx: JobContext) -> RepriceResult:
    """One batch: up to :data:`BATCH_SIZE` products after the payload's ``after_product_id``
    (when it names the price list still chosen; else from the first product), the rest queued
    as the next job."""
    price_list = job.context.settings.price_list
    linked = await article_links(job.session_factory, job.installation_id)
    start_after = 0
    if ctx.payload.get("price_list") == price_list:
        start_after = int(ctx.payload.get("after_product_id", 0))
    checked = repriced = unpriced = asked = 0
    passed = start_after
    rest_queued = False
    products = job.context.upsales.iterate_products(
        page_size=2 * BATCH_SIZE, after_id=start_after or None
    )
    async for product in products:
        if asked == BATCH_SIZE:  # another product is there: the next job prices it
            ctx.queue_rest(_progress(price_list, passed))
            rest_queued = True
            break
        passed = product.id
        if product.active is False:
            continue  # an inactive product is out of sale: its article's sync prices it
        number = priced_article(product, linked)
        if number is None:
            continue
        price = await chosen_price(job.context.fortnox, price_list, number)
        asked += 1
        target = target_price(product, linked, {} if price is None else {number: price})
        if target is not None:
            checked += 1
            new_price, priced = target
            unpriced += 0 if priced else 1
            changes = reprice_changes(product, new_price)
            if changes is not None:
                await job.context.upsales.update_product(product.id, changes)
                repriced += 1
        if asked % CHECKPOINT_EVERY == 0:  # a run again asks for none of these prices
            await ctx.checkpoint(_progress(price_list, product.id))
    return RepriceResult(
        price_list,
        checked=checked,
        repriced=repriced,
        without_price=unpriced,
        default_list=price_list is None,
        rest_queued=rest_queued,
    )


def priced_article(product: Product, linked: dict[int, str]) -> str | None:
    """The article whose price the product may take: its linked one, else its own number."""
    article = linked.get(product.id)
    if article is not None:
        return article
    return normalise_article_number(product.articleNo)


def target_price(
    product: Product, linked: dict[int, str], prices: dict[str, Decimal | None]
) -> tuple[Decimal | None, bool] | None:
    """(new list price, whether the list prices it), or None for a product not ours to price."""
    article = linked.get(product.id)
    if article is not None:
        price = prices.get(article)
        return price, price is not None
    own_number = normalise_article_number(product.articleNo)
    if own_number is not None and own_number in prices:
        return prices[own_number], True
    return None
