"""Choosing Fortnox's default price list again (``priceList`` null) re-prices the products."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, jobs_of, products_by_article_no
from tests.e2e.test_inbound_products import seed
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice
from upsales_fortnox.vocabulary import JobStatus


async def _reprice(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        await enqueue_reprice(session, harness.installation_id)
        await session.commit()
    await harness.run_jobs()


async def test_back_to_the_default_price_list_reprices_from_the_articles(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    seed(harness)
    await feed.sync()
    await harness.update_settings(price_list="B")
    await _reprice(harness)
    assert products_by_article_no(harness)["KONS-1"]["listPrice"] == Decimal("1450.00")

    await harness.update_settings(price_list=None)
    await _reprice(harness)

    products = products_by_article_no(harness)
    assert products["KONS-1"]["listPrice"] == Decimal("1300.00")  # its SalesPrice
    assert products["SUP-1"]["listPrice"] == Decimal("990.50")
    assert products["NY-1"]["listPrice"] == Decimal(0)  # no price in the default list
    assert products["LIC-BAS"]["listPrice"] == Decimal(4900)  # not a Fortnox article
    last = (await jobs_of(harness, "reprice_products"))[-1]
    assert last.result == {
        "price_list": None,
        "default_price_list": True,
        "products_checked": 3,
        "products_repriced": 3,
        "products_without_price": 0,  # Fortnox gives an unpriced article SalesPrice 0
    }


async def test_an_article_unreadable_by_its_slashed_number_does_not_stop_the_repricing(
    harness: SyncHarness,
) -> None:
    """An article "A/1" Fortnox lists but answers 404 for by its path (``%2F``; whether Fortnox
    routes it is unverified) has no price to read: the others are repriced all the same."""
    seed(harness)
    await EventFeed(harness).sync()
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "A/1", "Description": "Snedstreck"}]
    )
    harness.upsales.seed_many(
        harness.demo.customer_id,
        {"products": [{"name": "Snedstreck", "articleNo": "A/1", "active": 1, "listPrice": 5}]},
    )
    await harness.update_settings(price_list="B")
    await _reprice(harness)
    assert products_by_article_no(harness)["KONS-1"]["listPrice"] == Decimal("1450.00")

    await harness.update_settings(price_list=None)
    await _reprice(harness)

    assert all(job.status == JobStatus.DONE for job in await jobs_of(harness, "reprice_products"))
    assert products_by_article_no(harness)["KONS-1"]["listPrice"] != Decimal("1450.00")
