"""The Upsales price lists are read once for a burst of Fortnox article events, not once per
article (Upsales allows 200 requests per 10 s per API key); a list added in Upsales is seen once
the read is older than :data:`PRICE_LISTS_CACHE_SECONDS`."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, queue, run_now
from tests.e2e.test_upsales_price_lists import partner_prices
from upsales_fortnox.jobs import HandlerRegistry
from upsales_fortnox.jobs.worker import Worker
from upsales_fortnox.sync.inbound.fortnox_jobs import register_inbound_handlers
from upsales_fortnox.sync.inbound.price_list_cache import (
    PRICE_LISTS_CACHE_SECONDS,
    PriceListCache,
)
from upsales_fortnox.vocabulary import JobStatus

D = Decimal
ARTICLES = ("KONS-1", "LIC-BAS", "UTB-DAG")
READ = "GET /priceLists"


async def _sync_articles(harness: SyncHarness, *numbers: str) -> None:
    queued = [await queue(harness, "fortnox.article", number) for number in numbers]
    await run_now(harness)
    for job_id in queued:
        done = await job(harness, job_id)
        assert done.status == JobStatus.DONE, done.last_error


async def test_a_burst_of_article_events_reads_the_price_lists_once(
    harness: SyncHarness,
) -> None:
    now = [1000.0]
    registry = HandlerRegistry()
    register_inbound_handlers(
        registry, harness.services, price_lists=PriceListCache(clock=lambda: now[0])
    )
    harness.worker = Worker(harness.services.session_factory, registry, harness.services.settings)
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "EURO", "Description": "Euro"}],
        articles=[{"ArticleNumber": a, "Description": a} for a in ARTICLES],
        prices=[{"PriceList": "EURO", "ArticleNumber": a, "Price": "109.50"} for a in ARTICLES],
    )
    await harness.update_settings(currency_price_lists={"EUR": "EURO"})
    calls = harness.services.upsales_calls

    await _sync_articles(harness, *ARTICLES)

    assert calls[READ] == 1  # three article events, one read

    partner, product_id = partner_prices(harness, {"EUR": (100, 80)})
    now[0] += PRICE_LISTS_CACHE_SECONDS + 1

    await _sync_articles(harness, "KONS-1")

    assert calls[READ] == 2  # the read was old: the new list is seen
    product = harness.upsales_entity("products", product_id)
    assert product is not None
    assert {(e["priceListId"], D(str(e["price"]))) for e in product["currencies"]} == {
        (harness.demo.price_list_id, D("109.50")),  # the default list's price, written
        (partner, D(80)),  # the partner list's, kept
    }
