"""A deal dead for want of a Fortnox article recovers by itself once the article is created in
Fortnox: the article links to the deal's Upsales product (by article number, or else by exact
name) instead of creating a second product, and the dead deal is retried."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call
from tests.e2e.outbound_support import ARTICLES, edit, job, queue, run_now, sync_order, win
from upsales_fortnox.core.texts import say
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity


@pytest.mark.parametrize("matched_by", ["article number", "name"])
async def test_creating_the_missing_article_links_it_and_the_deal_goes_through(
    harness: SyncHarness, matched_by: str
) -> None:
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "LIC-BAS", **ARTICLES["LIC-BAS"]}]
    )
    product_id = harness.demo.product_ids_by_article_no["KONS-1"]
    if matched_by == "name":
        edit(harness, "products", product_id, {"articleNo": None})
    new_number = "KONS-1" if matched_by == "article number" else "TIM-100"
    win(harness, harness.demo.opportunity_id)
    dead = await sync_order(harness, harness.demo.opportunity_id)
    assert dead.status == JobStatus.DEAD
    assert (dead.last_error or "").startswith("product_not_in_fortnox:")
    async with harness.services.session_factory() as session:
        shown = await order_status(session, harness.installation_id, harness.demo.opportunity_id)
    assert shown["status"] == "failed"
    assert shown["message"] == say("status.failed.missing_article", "sv")
    assert "product_not_in_fortnox" not in str(shown)

    await fortnox_call(
        harness,
        "POST",
        "/articles",
        {"Article": {"ArticleNumber": new_number, "Description": "Konsulttimme"}},
    )
    article_job = await queue(harness, "fortnox.article", new_number)
    await run_now(harness)

    synced = await job(harness, article_job)
    assert synced.status == JobStatus.DONE, synced.last_error
    assert (synced.result or {})["outcome"] == "linked"
    assert (synced.result or {})["upsales_product"] == product_id
    named = [p for p in harness.upsales_entities("products") if p["name"] == "Konsulttimme"]
    assert [p["id"] for p in named] == [product_id]
    assert named[0]["articleNo"] == new_number

    retried = await job(harness, dead.id)
    assert retried.status == JobStatus.DONE, retried.last_error
    async with harness.services.session_factory() as session:
        order_link = await session.scalar(
            Link.__table__.select()
            .with_only_columns(Link.fortnox_id)
            .where(
                Link.installation_id == harness.installation_id,
                Link.entity == LinkEntity.ORDER,
                Link.upsales_id == harness.demo.opportunity_id,
                Link.fortnox_type == FortnoxType.INVOICE,
            )
        )
    assert order_link is not None
    invoice = harness.fortnox_entity("invoices", order_link)
    assert invoice is not None
    assert new_number in {row.get("ArticleNumber") for row in invoice["InvoiceRows"]}


async def test_a_name_shared_by_two_products_creates_rather_than_guesses(
    harness: SyncHarness,
) -> None:
    product_id = harness.demo.product_ids_by_article_no["KONS-1"]
    edit(harness, "products", product_id, {"articleNo": None})
    twin = harness.upsales.create_entity(
        harness.demo.customer_id, "products", {"name": "Konsulttimme", "listPrice": 1}
    )
    await fortnox_call(
        harness,
        "POST",
        "/articles",
        {"Article": {"ArticleNumber": "TIM-100", "Description": "Konsulttimme"}},
    )
    article_job = await queue(harness, "fortnox.article", "TIM-100")
    await run_now(harness)

    result = (await job(harness, article_job)).result or {}
    assert result["outcome"] == "created"
    assert result["upsales_product"] not in (product_id, twin["id"])
