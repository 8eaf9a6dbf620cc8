"""An article the bookkeeper deletes and then makes again with the same number: its product
is inactive in between, and a deal won with it meanwhile waits for the article."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, jobs_of, products_by_article_no
from tests.e2e.outbound_support import ARTICLES, job, link_demo_products, sync_order, win
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus

ARTICLE = {"ArticleNumber": "HYR-7", "Description": "Hyra släpvagn", "PurchasePrice": 200}


async def test_an_article_deleted_and_made_again_makes_its_product_active_again(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, articles=[ARTICLE])
    await feed.sync()
    product = products_by_article_no(harness)["HYR-7"]
    products_before = len(harness.upsales_entities("products"))

    await fortnox_call(harness, "DELETE", "/articles/HYR-7")
    await feed.sync()
    assert products_by_article_no(harness)["HYR-7"]["active"] == 0

    await fortnox_call(harness, "POST", "/articles", {"Article": ARTICLE})
    await feed.sync()

    again = products_by_article_no(harness)["HYR-7"]
    assert (again["id"], again["active"]) == (product["id"], 1)
    assert len(harness.upsales_entities("products")) == products_before
    outcomes = [job.result["outcome"] for job in await jobs_of(harness, "fortnox.article", "HYR-7")]
    assert outcomes == ["created", "deactivated", "linked"]


async def test_a_deal_won_with_the_product_of_a_deleted_article_waits_for_it_and_goes_through(
    harness: SyncHarness,
) -> None:
    """The sales rep reads that the product lacks its Fortnox article (not a refusal to take
    to the administrator), and the deal reaches Fortnox by itself once the bookkeeper makes the
    article again."""
    feed = EventFeed(harness)
    await link_demo_products(harness)
    await fortnox_call(harness, "DELETE", "/articles/KONS-1")
    await feed.sync()
    order_id = harness.demo.opportunity_id
    win(harness, order_id)

    dead = await sync_order(harness, order_id)

    assert dead.status == JobStatus.DEAD
    assert (dead.last_error or "").startswith("product_not_in_fortnox:")
    async with harness.services.session_factory() as session:
        shown = await order_status(session, harness.installation_id, order_id)
    assert shown["message"] == say("status.failed.missing_article", "sv")

    article = {"ArticleNumber": "KONS-1", **ARTICLES["KONS-1"]}
    await fortnox_call(harness, "POST", "/articles", {"Article": article})
    await feed.sync()

    assert (await job(harness, dead.id)).status == JobStatus.DONE
    assert products_by_article_no(harness)["KONS-1"]["active"] == 1
