"""Bundles in all three modes and awkward amounts: the sandbox's Fortnox totals agree with
the pure total rule and with Upsales' net value, to the öre."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import link_demo_products, sync_order, win
from upsales_fortnox.domain.outbound.money import fortnox_net, round_ore
from upsales_fortnox.vocabulary import JobStatus, ProductBundleMode

D = Decimal


async def _bundle_product(harness: SyncHarness) -> int:
    products = harness.demo.product_ids_by_article_no
    (bundle_id,) = harness.upsales.seed(
        harness.demo.customer_id,
        "products",
        [
            {
                "name": "Startpaket",
                "articleNo": "START",
                "listPrice": "15000",
                "bundlePriceAdjustment": "0.9",
                "bundle": [
                    {"productId": products["LIC-BAS"], "quantity": 1},
                    {"productId": products["KONS-1"], "quantity": 3},
                ],
            }
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "START", "Description": "Startpaket"}]
    )
    return int(bundle_id)


ORDERS: list[list[tuple[str, str, str, str]]] = [
    # (article, quantity, listPrice, price)
    [("START", "2", "15000", "13333.33"), ("KONS-1", "1.5", "1250", "1187.50")],
    [("START", "0.5", "15000", "14999.99"), ("UTB-DAG", "3", "9500", "9500")],
    [
        ("START", "7", "15000", "0.01"),
        ("KONS-1", "0.333", "3.33", "3.33"),
        ("KONS-1", "0.333", "3.33", "3.33"),
    ],
]


@pytest.mark.parametrize("mode", list(ProductBundleMode))
async def test_bundles_match_upsales_net_value(
    harness: SyncHarness, mode: ProductBundleMode
) -> None:
    await link_demo_products(harness)
    await harness.update_settings(product_bundles=mode)
    bundle_id = await _bundle_product(harness)
    products = {**harness.demo.product_ids_by_article_no, "START": bundle_id}
    for rows in ORDERS:
        upsales_order = win(
            harness,
            harness.demo.opportunity_id,
            orderRow=[
                {"product": {"id": products[a]}, "quantity": q, "listPrice": lp, "price": p}
                for a, q, lp, p in rows
            ],
        )
        job = await sync_order(harness, harness.demo.opportunity_id)
        assert job.status == JobStatus.DONE, job.last_error
        result: dict[str, Any] = job.result or {}
        invoice = harness.fortnox_entity("invoices", result["fortnox_invoice"])
        assert invoice is not None
        sandbox_rows = invoice["InvoiceRows"]
        pure = fortnox_net(
            (D(r["DeliveredQuantity"]), r["Price"], r["Discount"], r["DiscountType"])
            for r in sandbox_rows
        )
        assert invoice["Net"] == pure == round_ore(upsales_order["value"]) == D(result["net"])
        articles = [r["ArticleNumber"] for r in sandbox_rows]
        if mode is ProductBundleMode.ONLY_BUNDLE:
            assert "START" in articles and "LIC-BAS" not in articles
        elif mode is ProductBundleMode.ONLY_SUB_PRODUCTS:
            assert "START" not in articles and "LIC-BAS" in articles
        else:
            start = articles.index("START")
            assert articles[start + 1 : start + 3] == ["LIC-BAS", "KONS-1"]
            assert [r["Price"] for r in sandbox_rows[start + 1 : start + 3]] == [0, 0]
