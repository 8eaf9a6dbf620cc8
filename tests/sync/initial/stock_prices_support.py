"""An initial-sync scenario with stock on the articles and a euro price list, and how to read
the products' stock and euro prices back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import custom_value
from tests.sync.initial.scenario import seed_overlap
from upsales_fortnox.sync.inbound.stock_sync import WAREHOUSES
from upsales_fortnox.vocabulary import JobStatus

D = Decimal
STOCK_BALANCE = "GET /api/warehouse/status-v1/stockbalance"
SUBLIST = "GET /3/prices/sublist/{PriceList}/{ArticleNumber}"


def seed_stock_and_prices(harness: SyncHarness) -> tuple[int, int]:
    """The overlap scenario (KONS-1 matches a product, NY-1 is new), stock on the articles, a
    euro price list, and the account's two stock fields (their ids)."""
    seed_overlap(harness)
    tenant = harness.fortnox.tenant(harness.tenant_id)
    for number, quantity in (("KONS-1", D(12)), ("NY-1", D(3))):
        tenant.articles.get(number)["QuantityInStock"] = quantity  # type: ignore[index]
        tenant.articles.get(number)["DisposableQuantity"] = quantity - 1  # type: ignore[index]
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "EURO", "Description": "Euro"}],
        prices=[
            {"PriceList": "EURO", "ArticleNumber": "KONS-1", "FromQuantity": 0, "Price": "119"},
            {"PriceList": "EURO", "ArticleNumber": "NY-1", "FromQuantity": 0, "Price": "22.50"},
        ],
    )
    seeded = harness.upsales.seed_many(
        harness.demo.customer_id,
        {
            "customfields/product": [
                {"name": "I lager", "alias": "FORTNOX_STOCK_IN_STOCK", "datatype": "String"},
                {"name": "Disponibelt", "alias": "FORTNOX_STOCK_AVAILABLE", "datatype": "String"},
            ]
        },
    )
    WAREHOUSES._without.clear()  # each test's Fortnox company is probed afresh
    in_stock, available = seeded["customfields/product"]
    return int(in_stock), int(available)


def products_by_article_no(harness: SyncHarness) -> dict[str, dict[str, Any]]:
    return {p["articleNo"]: p for p in harness.upsales_entities("products") if p.get("articleNo")}


def stock_of(product: dict[str, Any], fields: tuple[int, int]) -> tuple[Any, Any]:
    return custom_value(product, fields[0]), custom_value(product, fields[1])


def euro_price(product: dict[str, Any]) -> Decimal | None:
    for entry in product.get("currencies") or ():
        if entry["currency"] == "EUR":
            return D(str(entry["price"]))
    return None


async def initial_sync(harness: SyncHarness) -> dict[str, Any]:
    url = f"/api/installations/{harness.installation_id}/initial-sync"
    started = await harness.service.post(url, headers=harness.admin_headers)
    assert started.status_code == 202, started.text
    await harness.run_jobs()
    status = await harness.service.get(url, headers=harness.admin_headers)
    report: dict[str, Any] = status.json()
    assert report["status"] == JobStatus.DONE, report
    return report
