"""With stock levels (``stockLevels``) and prices per currency (``currencyPriceLists``) turned
on, the initial sync gives the products it imports their stock and currency prices, as the
article sync does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import duplicates, writes
from tests.sync.initial.stock_prices_support import (
    STOCK_BALANCE,
    SUBLIST,
    D,
    euro_price,
    initial_sync,
    products_by_article_no,
    seed_stock_and_prices,
    stock_of,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import UpsalesBadRequest, UpsalesServerError
from upsales_fortnox.integrations.upsales.models import Product, ProductDraft
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, JobStatus


def _articles_phase(report: dict[str, Any]) -> dict[str, Any]:
    (phase,) = [phase for phase in report["phases"] if phase["phase"] == "articles"]
    return phase


async def test_the_initial_sync_writes_stock_and_currency_prices(harness: SyncHarness) -> None:
    fields = seed_stock_and_prices(harness)
    await harness.update_settings(stock_levels=True, currency_price_lists={"EUR": "EURO"})
    harness.fortnox.reset_counters()

    report = await initial_sync(harness)

    products = products_by_article_no(harness)
    # without Fortnox Lager: the article's own quantities, from its list item
    assert stock_of(products["KONS-1"], fields) == ("12", "11")  # the product it linked to
    assert stock_of(products["NY-1"], fields) == ("3", "2")  # the product it created
    assert euro_price(products["KONS-1"]) == D(119)
    assert euro_price(products["NY-1"]) == D("22.50")
    routes = harness.fortnox.request_counters().by_route
    assert routes[STOCK_BALANCE] == 1  # the probe that finds no Fortnox Lager
    assert routes[SUBLIST] == 4  # lists A and EURO, for each of the two articles
    assert "GET /3/articles/{ArticleNumber}" not in routes  # the list items carry the stock
    writes = _articles_phase(report)["writes"]
    assert writes == {"stock": {"written": 2}, "currency_prices": {"written": 2}}


async def test_with_fortnox_lager_the_stock_balance_is_read_per_article(
    harness: SyncHarness,
) -> None:
    fields = seed_stock_and_prices(harness)
    harness.fortnox.set_warehouse(harness.tenant_id, True)
    harness.fortnox.set_stock(harness.tenant_id, "KONS-1", "HUV", D(10), D(7))
    harness.fortnox.set_stock(harness.tenant_id, "NY-1", "HUV", D("2.5"), D(1))
    await harness.update_settings(stock_levels=True)
    harness.fortnox.reset_counters()

    await initial_sync(harness)

    products = products_by_article_no(harness)
    assert stock_of(products["KONS-1"], fields) == ("10", "7")
    assert stock_of(products["NY-1"], fields) == ("2.5", "1")
    # one call each: the spec's answer holds one article's balance
    assert harness.fortnox.request_counters().by_route[STOCK_BALANCE] == 2
    assert euro_price(products["NY-1"]) is None  # currency prices are off


async def test_with_the_settings_off_nothing_more_is_read_or_written(
    harness: SyncHarness,
) -> None:
    fields = seed_stock_and_prices(harness)
    harness.fortnox.reset_counters()

    report = await initial_sync(harness)

    routes = harness.fortnox.request_counters().by_route
    assert STOCK_BALANCE not in routes
    assert routes[SUBLIST] == 2  # list A only
    products = products_by_article_no(harness)
    assert (
        stock_of(products["NY-1"], fields) == (None, None) and euro_price(products["NY-1"]) is None
    )
    assert _articles_phase(report)["writes"] == {}


def _failing_stock_write(
    monkeypatch: pytest.MonkeyPatch, error: Exception, times: int
) -> list[int]:
    """Upsales fails the first ``times`` stock writes (a PUT of ``custom``) with ``error``;
    the ids of the products it failed."""
    update_product = UpsalesClient.update_product
    failed: list[int] = []

    async def failing(
        client: UpsalesClient,
        product_id: int,
        changes: ProductDraft,
        *,
        use_price_lists: bool = False,
    ) -> Product:
        if changes.custom is not None and len(failed) < times:
            failed.append(product_id)
            raise error
        return await update_product(client, product_id, changes, use_price_lists=use_price_lists)

    monkeypatch.setattr(UpsalesClient, "update_product", failing)
    return failed


async def _until_finished(harness: SyncHarness) -> SyncJob:
    """Run the queued jobs, each retry made due at once, until the initial sync has ended."""
    for _ in range(5):
        await harness.worker.run_once()
        async with harness.services.session_factory() as session:
            job = await session.scalar(select(SyncJob).where(SyncJob.kind == "initial_sync"))
            assert job is not None
            if job.status != JobStatus.QUEUED:
                return job
            await session.execute(
                update(SyncJob).where(SyncJob.id == job.id).values(run_after=utcnow())
            )
            await session.commit()
    raise AssertionError("the initial sync did not end")


async def test_a_run_ended_before_a_product_had_its_stock_writes_it_when_resumed(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = seed_stock_and_prices(harness)
    await harness.update_settings(stock_levels=True)
    failed = _failing_stock_write(monkeypatch, UpsalesServerError("Upsales is down"), times=1)
    url = f"/api/installations/{harness.installation_id}/initial-sync"
    assert (await harness.service.post(url, headers=harness.admin_headers)).status_code == 202

    job = await _until_finished(harness)

    assert job.status == JobStatus.DONE and job.attempts == 2, job.last_error
    assert len(failed) == 1  # the first run ended there, its product left unlinked
    products = products_by_article_no(harness)
    assert stock_of(products["KONS-1"], fields) == ("12", "11")
    assert stock_of(products["NY-1"], fields) == ("3", "2")
    assert duplicates(harness) == 0  # the product made before the failure is the one linked


async def test_a_refused_stock_write_leaves_the_product_imported_and_is_reported(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = seed_stock_and_prices(harness)
    await harness.update_settings(stock_levels=True, currency_price_lists={"EUR": "EURO"})
    refused = UpsalesBadRequest("PUT /products/{id}: custom field value refused")
    failed = _failing_stock_write(monkeypatch, refused, times=1)

    report = await initial_sync(harness)

    articles = _articles_phase(report)
    assert (articles["counts"]["created"], articles["counts"]["updated"]) == (1, 1)
    assert articles["writes"] == {
        "stock": {"failed": 1, "written": 1},
        "currency_prices": {"written": 2},  # written all the same
    }
    (reported,) = report["failed"]
    assert reported["writes_refused"].startswith("stock: upsales_bad_request")
    products = products_by_article_no(harness)
    refused_number = reported["fortnox_id"]
    assert failed == [products[refused_number]["id"]]
    assert stock_of(products[refused_number], fields) == (None, None)
    (other,) = {"KONS-1", "NY-1"} - {refused_number}
    assert stock_of(products[other], fields) != (None, None)
    assert all(euro_price(products[number]) is not None for number in ("KONS-1", "NY-1"))
    links = {link.fortnox_id for link in await _article_links(harness)}
    assert links == {"KONS-1", "NY-1"}  # imported, linked


async def test_the_preview_reads_no_stock_and_no_currency_prices(harness: SyncHarness) -> None:
    seed_stock_and_prices(harness)
    await harness.update_settings(stock_levels=True, currency_price_lists={"EUR": "EURO"})
    harness.fortnox.reset_counters()
    harness.upsales.reset_counters()

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 200, response.text
    routes = harness.fortnox.request_counters().by_route
    assert STOCK_BALANCE not in routes
    assert routes[SUBLIST] == 2  # the chosen list's prices, as without the settings
    assert writes(harness) == 0


async def _article_links(harness: SyncHarness) -> list[Link]:
    async with harness.services.session_factory() as session:
        rows = await session.scalars(
            select(Link).where(
                Link.installation_id == harness.installation_id,
                Link.fortnox_type == FortnoxType.ARTICLE,
            )
        )
        return list(rows)
