"""Turning stock levels (``stockLevels``) or a currency (``currencyPriceLists``) on after the
initial sync brings the linked products' stock and currency prices up to date."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.stock_prices_support import (
    D,
    euro_price,
    initial_sync,
    products_by_article_no,
    seed_stock_and_prices,
    stock_of,
)


@pytest.mark.parametrize("turned_on", ["stockLevels", "currencyPriceLists"])
async def test_turning_a_setting_on_later_brings_the_linked_products_up_to_date(
    harness: SyncHarness, turned_on: str
) -> None:
    fields = seed_stock_and_prices(harness)
    await initial_sync(harness)  # both settings off: no stock, no euro prices
    url = f"/api/installations/{harness.installation_id}/settings"
    read = await harness.service.get(url, headers=harness.admin_headers)
    document = dict(read.json())
    document[turned_on] = True if turned_on == "stockLevels" else {"EUR": "EURO"}

    saved = await harness.service.put(
        url, json=document, headers={**harness.admin_headers, "If-Match": read.headers["ETag"]}
    )
    assert saved.status_code == 200, saved.text
    await harness.run_jobs()

    products = products_by_article_no(harness)
    if turned_on == "stockLevels":
        assert stock_of(products["KONS-1"], fields) == ("12", "11")
        assert stock_of(products["NY-1"], fields) == ("3", "2")
        assert euro_price(products["NY-1"]) is None
    else:
        assert euro_price(products["KONS-1"]) == D(119)
        assert euro_price(products["NY-1"]) == D("22.50")
        assert stock_of(products["NY-1"], fields) == (None, None)
    assert "LIC-BAS" in products and euro_price(products["LIC-BAS"]) is None  # not linked: left be
