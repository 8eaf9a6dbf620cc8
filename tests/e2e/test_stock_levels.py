"""Article stock reaches the Upsales product fields: from Fortnox Lager's stock balance where the
company has it, else from the article's own quantities."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import custom_value
from tests.e2e.outbound_support import job, queue, run_now
from upsales_fortnox.sync.inbound.stock_sync import WAREHOUSES
from upsales_fortnox.vocabulary import JobStatus

D = Decimal
STOCK_BALANCE = "GET /api/warehouse/status-v1/stockbalance"
ARTICLE = "KONS-1"


@pytest.fixture
async def stocked(harness: SyncHarness) -> SyncHarness:
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[
            {"ArticleNumber": ARTICLE, "Description": "Konsulttimme", "QuantityInStock": 12},
            {"ArticleNumber": "LIC-BAS", "Description": "Licens Bas", "QuantityInStock": 3},
        ],
    )
    await harness.update_settings(stock_levels=True)
    WAREHOUSES._without.clear()  # each test's Fortnox company is probed afresh
    return harness


def _stock_fields(harness: SyncHarness) -> tuple[int, int]:
    seeded = harness.upsales.seed_many(
        harness.demo.customer_id,
        {
            "customfields/product": [
                {"name": "I lager", "alias": "FORTNOX_STOCK_IN_STOCK", "datatype": "String"},
                {"name": "Disponibelt", "alias": "FORTNOX_STOCK_AVAILABLE", "datatype": "String"},
            ]
        },
    )
    in_stock, available = seeded["customfields/product"]
    return int(in_stock), int(available)


async def _sync_article(harness: SyncHarness, number: str) -> tuple[dict[str, Any], Counter[str]]:
    """Run the article's job (as its change event would); its result and the Fortnox calls."""
    before = Counter(harness.services.fortnox_calls)
    job_id = await queue(harness, "fortnox.article", number)
    await run_now(harness)
    done = await job(harness, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    calls = Counter(harness.services.fortnox_calls)
    calls.subtract(before)
    return dict(done.result or {}), +calls


def _product_stock(
    harness: SyncHarness, fields: tuple[int, int], product_id: int
) -> tuple[Any, Any]:
    product = harness.upsales_entity("products", product_id)
    assert product is not None
    return custom_value(product, fields[0]), custom_value(product, fields[1])


async def test_without_fortnox_lager_the_article_quantities_are_used(stocked: SyncHarness) -> None:
    harness = stocked
    fields = _stock_fields(harness)
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.articles.get(ARTICLE)["ReservedQuantity"] = D(4)  # type: ignore[index]
    tenant.articles.get(ARTICLE)["DisposableQuantity"] = D(8)  # type: ignore[index]

    result, calls = await _sync_article(harness, ARTICLE)

    assert result["stock"] == {"source": "article", "written": "written"}
    assert _product_stock(harness, fields, result["upsales_product"]) == ("12", "8")
    assert calls[STOCK_BALANCE] == 1  # the probe that finds no Fortnox Lager, answered 403
    # the next article: the company is known to lack Fortnox Lager, no probe
    other, calls = await _sync_article(harness, "LIC-BAS")
    assert other["stock"] == {"source": "article", "written": "written"}
    assert calls[STOCK_BALANCE] == 0
    assert _product_stock(harness, fields, other["upsales_product"]) == ("3", "3")


async def test_with_fortnox_lager_the_stock_balance_is_used(stocked: SyncHarness) -> None:
    harness = stocked
    fields = _stock_fields(harness)
    harness.fortnox.set_warehouse(harness.tenant_id, True)
    harness.fortnox.set_stock(harness.tenant_id, ARTICLE, "HUV", D(10), D(7))

    result, calls = await _sync_article(harness, ARTICLE)
    product_id = result["upsales_product"]
    assert result["stock"] == {"source": "warehouse", "written": "written"}
    assert _product_stock(harness, fields, product_id) == ("10", "7")
    assert calls[STOCK_BALANCE] == 1

    # a second stock point, and a delivery out of the first: the totals follow
    harness.fortnox.set_stock(harness.tenant_id, ARTICLE, "HUV", D(8), D(5))
    harness.fortnox.set_stock(harness.tenant_id, ARTICLE, "FILIAL", D("2.5"), D("2.5"))
    result, calls = await _sync_article(harness, ARTICLE)
    assert result["stock"] == {"source": "warehouse", "written": "written"}
    assert _product_stock(harness, fields, product_id) == ("10.5", "7.5")
    assert calls[STOCK_BALANCE] == 1  # one call for the changed article's stock

    # nothing changed: nothing written, the product's other values untouched
    product_before = harness.upsales_entity("products", product_id)
    result, _ = await _sync_article(harness, ARTICLE)
    assert result["stock"] == {"source": "warehouse", "written": "unchanged"}
    assert harness.upsales_entity("products", product_id) == product_before


async def test_the_setting_off_touches_no_stock(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[{"ArticleNumber": ARTICLE, "Description": "Konsulttimme", "QuantityInStock": 5}],
    )
    fields = _stock_fields(harness)
    result, calls = await _sync_article(harness, ARTICLE)
    assert "stock" not in result and calls[STOCK_BALANCE] == 0
    assert _product_stock(harness, fields, result["upsales_product"]) == (None, None)


async def test_an_account_without_the_fields_is_told_so(stocked: SyncHarness) -> None:
    result, _ = await _sync_article(stocked, ARTICLE)
    assert result["stock"] == {"source": "article", "written": "no_field"}
