"""Fortnox articles become Upsales products, priced from the one chosen price list."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    fortnox_call,
    jobs_of,
    link_of,
    products_by_article_no,
)
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice
from upsales_fortnox.vocabulary import FortnoxType

ARTICLES = [
    {"ArticleNumber": "KONS-1", "Description": "Konsulttimme", "PurchasePrice": 600},
    {"ArticleNumber": "SUP-1", "Description": "Support per månad", "PurchasePrice": 100},
    {"ArticleNumber": "NY-1", "Description": "Ny tjänst"},
]
PRICES = [
    {"PriceList": "A", "ArticleNumber": "KONS-1", "Price": "1300.00"},
    {"PriceList": "A", "ArticleNumber": "KONS-1", "FromQuantity": 10, "Price": "1100.00"},
    {"PriceList": "A", "ArticleNumber": "SUP-1", "Price": "990.50"},
    {"PriceList": "B", "ArticleNumber": "KONS-1", "Price": "1450.00"},
    {"PriceList": "B", "ArticleNumber": "NY-1", "Price": "500"},
]


def seed(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "B", "Description": "Partner"}],
        articles=ARTICLES,
        prices=PRICES,
    )


async def test_articles_become_products_priced_from_the_chosen_list(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    seed(harness)
    products_before = len(harness.upsales_entities("products"))

    await feed.sync()

    products = products_by_article_no(harness)
    assert len(harness.upsales_entities("products")) == products_before + 2  # KONS-1 existed
    assert products["KONS-1"]["id"] == harness.demo.product_ids_by_article_no["KONS-1"]
    assert products["KONS-1"]["listPrice"] == Decimal("1300.00")
    assert products["SUP-1"]["listPrice"] == Decimal("990.50")
    assert products["SUP-1"]["name"] == "Support per månad"
    assert products["NY-1"]["listPrice"] == Decimal(0)
    (job,) = await jobs_of(harness, "fortnox.article", "NY-1")
    assert job.result is not None
    assert job.result["price"] == "no price in the chosen price list; list price 0"
    link = await link_of(harness, FortnoxType.ARTICLE, "SUP-1")
    assert link is not None and link.upsales_id == products["SUP-1"]["id"]


async def test_changing_the_price_list_reprices_every_product(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    seed(harness)
    await feed.sync()

    await harness.update_settings(price_list="B")
    harness.fortnox.reset_counters()
    async with harness.services.session_factory() as session:
        await enqueue_reprice(session, harness.installation_id)
        await enqueue_reprice(session, harness.installation_id)  # coalesces
        await session.commit()
    await harness.run_jobs()

    products = products_by_article_no(harness)
    assert products["KONS-1"]["listPrice"] == Decimal("1450.00")
    assert products["NY-1"]["listPrice"] == Decimal(500)
    assert products["SUP-1"]["listPrice"] == Decimal(0)  # list B has no price for it
    assert products["LIC-BAS"]["listPrice"] == Decimal(4900)  # not a Fortnox article
    with_article = [p for p in harness.upsales_entities("products") if p.get("articleNo")]
    routes = harness.fortnox.request_counters().by_route
    assert routes == {"GET /3/prices/sublist/{PriceList}/{ArticleNumber}": len(with_article)}
    (job,) = await jobs_of(harness, "reprice_products")
    assert job.result == {
        "price_list": "B",
        "products_checked": 3,
        "products_repriced": 3,
        "products_without_price": 1,
    }


async def test_inactive_or_deleted_articles_deactivate_their_products(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    seed(harness)
    await feed.sync()

    await fortnox_call(harness, "PUT", "/articles/SUP-1", {"Article": {"Active": False}})
    await fortnox_call(harness, "DELETE", "/articles/NY-1")
    await feed.sync()

    products = products_by_article_no(harness)
    assert products["SUP-1"]["active"] == 0
    assert products["NY-1"]["active"] == 0
    assert products["KONS-1"]["active"] == 1
    assert (await jobs_of(harness, "fortnox.article", "NY-1"))[-1].result == {
        "fortnox_article": "NY-1",
        "upsales_product": products["NY-1"]["id"],
        "outcome": "deactivated",
    }


async def test_a_new_article_takes_the_product_whose_number_differs_only_in_case(
    harness: SyncHarness,
) -> None:
    """A product typed ``hyr-1`` in Upsales is the article ``HYR-1`` made in Fortnox: linked
    and given the article's spelling, not made a second time."""
    feed = EventFeed(harness)
    await feed.sync()
    (typed,) = harness.upsales.seed(
        harness.demo.customer_id,
        "products",
        [{"name": "Hyra släp", "articleNo": "hyr-1", "listPrice": 100}],
    )
    products_before = len(harness.upsales_entities("products"))
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "HYR-1", "Description": "Hyra släp"}]
    )

    await feed.sync()

    assert len(harness.upsales_entities("products")) == products_before
    link = await link_of(harness, FortnoxType.ARTICLE, "HYR-1")
    assert link is not None and link.upsales_id == typed
    assert products_by_article_no(harness)["HYR-1"]["id"] == typed


async def test_a_new_article_takes_the_product_named_like_it_up_to_case(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    await feed.sync()
    (by_hand,) = harness.upsales.seed(
        harness.demo.customer_id, "products", [{"name": "Hyra Släp", "listPrice": 100}]
    )
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "SLAP-1", "Description": "hyra släp"}]
    )

    await feed.sync()

    link = await link_of(harness, FortnoxType.ARTICLE, "SLAP-1")
    assert link is not None and link.upsales_id == by_hand
