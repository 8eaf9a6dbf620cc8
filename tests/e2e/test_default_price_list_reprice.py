"""Choosing Fortnox's default price list again (``priceList`` null) re-prices the products."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, jobs_of, products_by_article_no
from tests.e2e.test_inbound_products import seed
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice


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
