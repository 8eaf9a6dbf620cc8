"""On an Upsales account with price lists (the "Advanced Order Logic" add-on), the currency prices
from Fortnox go into the default price list and every other list keeps its prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, queue, run_now
from upsales_fortnox.vocabulary import JobStatus

D = Decimal


def _prices(product: dict[str, Any]) -> set[tuple[Any, str, Decimal]]:
    return {(e["priceListId"], e["currency"], D(str(e["price"]))) for e in product["currencies"]}


def partner_prices(harness: SyncHarness, prices: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """A Partner price list beside the standard one, and KONS-1's prices in both (currency:
    standard, partner), written in Upsales; the Partner list's id and the product's."""
    upsales, customer_id = harness.upsales, harness.demo.customer_id
    partner = int(upsales.create_entity(customer_id, "priceLists", {"name": "Partner"})["id"])
    product_id = harness.demo.product_ids_by_article_no["KONS-1"]
    currencies = [
        {"currency": currency, "price": price, "priceListId": list_id}
        for list_id, index in ((harness.demo.price_list_id, 0), (partner, 1))
        for currency, pair in prices.items()
        for price in (pair[index],)
    ]
    upsales.update_entity(
        customer_id,
        "products",
        product_id,
        {"currencies": currencies},
        fire_hooks=False,
        use_price_lists=True,
    )
    return partner, product_id


async def _sync(harness: SyncHarness) -> dict[str, Any]:
    job_id = await queue(harness, "fortnox.article", "KONS-1")
    await run_now(harness)
    done = await job(harness, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    return dict(done.result or {})


@pytest.mark.parametrize("plain_writes_keep_other_lists", [False, True])
async def test_a_partner_price_lists_prices_survive_the_currency_prices(
    harness: SyncHarness, plain_writes_keep_other_lists: bool
) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "EURO", "Description": "Euro"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
        prices=[
            {"PriceList": "A", "ArticleNumber": "KONS-1", "Price": 1250},
            {"PriceList": "EURO", "ArticleNumber": "KONS-1", "Price": "109.50"},
        ],
    )
    await harness.update_settings(currency_price_lists={"EUR": "EURO"})
    upsales, customer_id = harness.upsales, harness.demo.customer_id
    upsales.customer(
        customer_id
    ).plain_price_writes_keep_other_lists = plain_writes_keep_other_lists
    standard = harness.demo.price_list_id
    partner, product_id = partner_prices(harness, {"SEK": (1250, 900), "EUR": (100, 80)})

    result = await _sync(harness)

    assert result["currencies"] == {"prices": {"EUR": "109.5"}, "written": "written"}
    product = harness.upsales_entity("products", product_id)
    assert product is not None
    assert _prices(product) == {
        (standard, "SEK", D(1250)),
        (standard, "EUR", D("109.50")),  # the default list: the sync's
        (partner, "SEK", D(900)),  # the partner list: as it was
        (partner, "EUR", D(80)),
    }
    assert (await _sync(harness))["currencies"]["written"] == "unchanged"
