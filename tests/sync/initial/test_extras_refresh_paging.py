"""The refresh of the linked products' stock reads every article of a list that spans pages,
even when Fortnox deletes one between two page reads (which moves every later article one place
toward the start)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.e2e.harness import SyncHarness
from tests.e2e.test_reconcile_paging import after_first_page
from tests.sync.initial.stock_prices_support import (
    initial_sync,
    products_by_article_no,
    seed_stock_and_prices,
    stock_of,
)
from ufs_sandboxes.fortnox.resources.articles import delete_article
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobKind, JobStatus

NUMBERS = [f"A-{n}" for n in range(1, 10)]  # with KONS-1 and NY-1: three pages of four


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 4)


async def test_an_article_deleted_between_two_pages_hides_no_other_products_stock(
    harness: SyncHarness,
) -> None:
    fields = seed_stock_and_prices(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[
            {"ArticleNumber": n, "Description": f"Vara {n}", "QuantityInStock": 5} for n in NUMBERS
        ],
    )
    await initial_sync(harness)  # stock off: none written
    tenant = harness.fortnox.tenant(harness.tenant_id)
    url = f"/api/installations/{harness.installation_id}/settings"
    read = await harness.service.get(url, headers=harness.admin_headers)
    document = {**read.json(), "stockLevels": True}
    saved = await harness.service.put(
        url, json=document, headers={**harness.admin_headers, "If-Match": read.headers["ETag"]}
    )
    assert saved.status_code == 200, saved.text

    with after_first_page(harness, "/articles", lambda: delete_article(tenant, "A-1")):
        await harness.run_jobs()

    products = products_by_article_no(harness)
    assert {n: stock_of(products[n], fields)[0] for n in NUMBERS[1:]} == dict.fromkeys(
        NUMBERS[1:], "5"
    )
    assert stock_of(products["NY-1"], fields)[0] == "3"
    assert Decimal(stock_of(products["KONS-1"], fields)[0]) == 12


async def test_a_resumed_refresh_skips_the_products_it_had_done(harness: SyncHarness) -> None:
    fields = seed_stock_and_prices(harness)
    await initial_sync(harness)
    url = f"/api/installations/{harness.installation_id}/settings"
    read = await harness.service.get(url, headers=harness.admin_headers)
    saved = await harness.service.put(
        url,
        json={**read.json(), "stockLevels": True},
        headers={**harness.admin_headers, "If-Match": read.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text
    checkpoint = {  # interrupted after KONS-1's product (its write counted)
        "settings": "stock=1;",
        "done": ["KONS-1"],
        "tally": {"checked": 1, "missing": 0, "writes": {"stock": {"written": 1}}},
    }
    async with harness.services.session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.kind == JobKind.REFRESH_PRODUCT_EXTRAS)
            .values(payload=checkpoint)
        )
        await session.commit()

    await harness.run_jobs()

    products = products_by_article_no(harness)
    assert stock_of(products["KONS-1"], fields) == (None, None)  # done before: not again
    assert stock_of(products["NY-1"], fields) == ("3", "2")
    async with harness.services.session_factory() as session:
        (job,) = await session.scalars(
            select(SyncJob).where(SyncJob.kind == JobKind.REFRESH_PRODUCT_EXTRAS)
        )
    assert job.status == JobStatus.DONE and job.result is not None
    assert job.result["products_checked"] == 2 and job.result["writes"] == {"stock": {"written": 2}}
