"""Articles as a bookkeeper edits them in Fortnox: a lower-case article number, a VAT rate
change (nothing in Upsales to change), a product a sales rep edited meanwhile, an article made
inactive and active again."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call, jobs_of, products_by_article_no, settle


async def test_an_article_edited_in_fortnox_keeps_upsales_in_step_and_writes_nothing_back(
    harness: SyncHarness,
) -> None:
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[{"ArticleNumber": "skruv-12", "Description": "Skruv liten", "VAT": 25}],
        prices=[{"PriceList": "A", "ArticleNumber": "skruv-12", "Price": 12.5}],
    )
    await settle(harness)
    product = products_by_article_no(harness)["skruv-12"]  # its number as Fortnox has it
    assert (product["name"], product["listPrice"]) == ("Skruv liten", Decimal("12.50"))
    products_before = len(harness.upsales_entities("products"))
    writes = harness.services.upsales_calls["PUT /products/{id}"]

    await fortnox_call(harness, "PUT", "/articles/skruv-12", {"Article": {"VAT": 12}})
    await settle(harness)
    assert harness.services.upsales_calls["PUT /products/{id}"] == writes  # no product field

    rep = harness.demo.sales_rep_user_ids[0]
    edited = {"name": "Skruv liten (kampanj)", "listPrice": 10}
    harness.upsales.update_entity(
        harness.demo.customer_id, "products", product["id"], edited, user_id=rep
    )
    await fortnox_call(harness, "PUT", "/prices/A/skruv-12", {"Price": {"Price": 13.75}})
    await fortnox_call(harness, "PUT", "/articles/skruv-12", {"Article": {"Active": False}})
    await settle(harness)

    retired = products_by_article_no(harness)["skruv-12"]  # the register wins once it changes
    assert (retired["name"], retired["listPrice"], retired["active"]) == (
        "Skruv liten",
        Decimal("13.75"),
        0,
    )

    await fortnox_call(harness, "PUT", "/articles/skruv-12", {"Article": {"Active": True}})
    await settle(harness)

    assert products_by_article_no(harness)["skruv-12"]["active"] == 1
    assert len(harness.upsales_entities("products")) == products_before
    assert [
        k for k, v in harness.services.fortnox_calls.items() if v and not k.startswith("GET")
    ] == []
    outcomes = [
        job.result["outcome"] for job in await jobs_of(harness, "fortnox.article") if job.result
    ]
    assert outcomes == ["created", "unchanged", "deactivated", "updated"]
