"""An article the bookkeeper deletes and then makes again with the same number."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, jobs_of, products_by_article_no

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
    assert outcomes == ["created", "deactivated", "updated"]
