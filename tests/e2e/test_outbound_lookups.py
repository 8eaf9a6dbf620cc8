"""Products found by article number, products Fortnox lacks, companies Fortnox would refuse,
and the customer-number field: resolved once, and optional."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import ARTICLES, edit, link_of, sync_order, win
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity


def _seed_articles(harness: SyncHarness, numbers: list[str]) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[{"ArticleNumber": n, **ARTICLES[n]} for n in numbers],
    )


async def test_an_unlinked_product_is_found_by_its_article_number(harness: SyncHarness) -> None:
    _seed_articles(harness, ["LIC-BAS", "KONS-1"])
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    products = harness.demo.product_ids_by_article_no
    assert sorted((job.result or {})["products_linked"]) == sorted(
        [products["LIC-BAS"], products["KONS-1"]]
    )
    link = await link_of(harness, LinkEntity.PRODUCT, products["LIC-BAS"])
    assert link is not None and (link.fortnox_type, link.fortnox_id) == (
        FortnoxType.ARTICLE,
        "LIC-BAS",
    )


async def test_a_product_fortnox_lacks_ends_the_job_naming_it(harness: SyncHarness) -> None:
    _seed_articles(harness, ["LIC-BAS"])
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD
    assert job.last_error == (
        f"product_not_in_fortnox: the product 'Konsulttimme' (product "
        f"{harness.demo.product_ids_by_article_no['KONS-1']}) has no article in Fortnox"
    )
    assert harness.fortnox_entity("invoices", 1) is None


async def test_a_company_fortnox_would_refuse_ends_the_job(harness: SyncHarness) -> None:
    _seed_articles(harness, ["LIC-BAS", "KONS-1"])
    edit(harness, "accounts", harness.demo.account_ids[0], {"orgNo": "12-34"})
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD
    assert (job.last_error or "").startswith("company_not_accepted_by_fortnox: ")
    assert "'12-34'" in (job.last_error or "")


async def test_the_customer_number_field_is_resolved_once_and_is_optional(
    harness: SyncHarness,
) -> None:
    _seed_articles(harness, ["LIC-BAS", "KONS-1"])
    win(harness, harness.demo.opportunity_id)
    await sync_order(harness, harness.demo.opportunity_id)
    second = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    created = harness.upsales.create_entity(
        harness.demo.customer_id,
        "orders",
        {
            "description": "Second deal",
            "date": "2024-06-01",
            "user": {"id": harness.demo.sales_rep_user_ids[1]},
            "client": {"id": harness.demo.account_ids[1]},
            "stage": {"id": harness.demo.stage_won_id},
            "probability": 100,
            "orderRow": [
                {"product": row["product"], "quantity": 1, "price": 10, "listPrice": 10}
                for row in second["orderRow"]
            ],
        },
        fire_hooks=False,
    )

    job = await sync_order(harness, created["id"])

    assert (job.result or {})["customer_number_written_back"] is True
    assert harness.services.upsales_calls["GET /customfields/{entity}"] == 1


async def test_without_the_customer_number_field_the_deal_is_still_sent(
    harness: SyncHarness,
) -> None:
    _seed_articles(harness, ["LIC-BAS", "KONS-1"])
    harness.upsales.delete_entity(
        harness.demo.customer_id,
        "customfields/account",
        harness.demo.account_fortnox_customer_number_field_id,
        fire_hooks=False,
    )
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    result = job.result or {}
    assert job.status == JobStatus.DONE and result["outcome"] == "created"
    assert result["customer_number_written_back"] is False
    assert "FORTNOX_CUSTOMER_NUMBER" in result["note"]
    assert "PUT /accounts/{id}" not in harness.services.upsales_calls
