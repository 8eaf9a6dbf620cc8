"""``limit_pricelists`` and ``show_field_sync``: the app hooks the real Fortnox app registers
get a useful 200 (shapes *unverified*, kept in :mod:`upsales_fortnox.sync.app_hook_answers`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, companies_named, products_by_article_no
from tests.intake.support import count_rows
from upsales_fortnox.integrations.upsales.models import PriceList
from upsales_fortnox.sync.app_hook_answers import price_list_answer


async def ask(harness: SyncHarness, hook_type: str, *, in_url: bool = False) -> httpx.Response:
    body: dict[str, Any] = {"apiKey": harness.demo.api_key, "data": {}}
    url = f"/webhooks/upsales/{harness.installation_id}"
    if in_url:
        url += f"/{hook_type}"
    else:
        body["type"] = hook_type
    return await harness.service.post(url, json=body)


async def test_limit_pricelists_names_the_default_list_the_sync_prices(
    harness: SyncHarness,
) -> None:
    harness.upsales.seed(
        harness.demo.customer_id,
        "priceLists",
        [{"name": "Återförsäljare", "code": "resell", "isDefault": False}],
    )
    (default,) = [
        item for item in harness.upsales_entities("priceLists") if item["isDefault"] is True
    ]
    for in_url in (False, True):
        response = await ask(harness, "limit_pricelists", in_url=in_url)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "limit": True,
            "priceListIds": [default["id"]],
            "priceLists": [
                {"id": default["id"], "name": "Standard", "code": "standard", "isDefault": True}
            ],
            "fortnoxPriceList": "A",
        }
    assert await count_rows(harness.services.session_factory) == (0, 0)


def test_limit_pricelists_without_a_default_list_limits_nothing() -> None:
    lists = [
        PriceList(id=1, name="Gammal", isDefault=True, active=False),
        PriceList(id=2, name="Extra", isDefault=False),
    ]
    assert price_list_answer(lists, "A") == {
        "limit": False,
        "priceListIds": [],
        "priceLists": [],
        "fortnoxPriceList": "A",
    }


async def test_show_field_sync_lists_the_fields_the_sync_writes(harness: SyncHarness) -> None:
    response = await ask(harness, "show_field_sync")
    assert response.status_code == 200, response.text
    fields = response.json()["fields"]
    assert {"name", "orgNo", "addresses", "phone"} <= set(fields["account"]["fields"])
    assert "FORTNOX_CUSTOMER_NUMBER" in fields["account"]["customFields"]
    assert {"name", "articleNo", "listPrice"} <= set(fields["product"]["fields"])
    assert {"client", "orderRow", "date"} <= set(fields["order"]["fields"])
    assert {"product", "quantity", "price", "listPrice"} <= set(fields["order"]["rowFields"])
    assert fields["product"]["direction"] == "fromFortnox"
    assert await count_rows(harness.services.session_factory) == (0, 0)


async def test_every_field_show_field_sync_names_is_one_the_sync_really_fills(
    harness: SyncHarness,
) -> None:
    """Sync a Fortnox customer with every mapped field, an article and an invoice; each field
    the answer names is then set on the Upsales records they became."""
    fields = (await ask(harness, "show_field_sync")).json()["fields"]
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "77",
                "Name": "Fältet AB",
                "OrganisationNumber": "556000-7777",
                "Phone1": "08-7",
                "WWW": "falt.se",
                "Address1": "Gatan 7",
                "ZipCode": "111 77",
                "City": "Stockholm",
            }
        ],
        articles=[{"ArticleNumber": "F-1", "Description": "Fältartikel", "PurchasePrice": 5}],
    )
    await EventFeed(harness).sync()
    (company,) = companies_named(harness, "Fältet AB")
    product = products_by_article_no(harness)["F-1"]
    for name in fields["account"]["fields"]:
        assert company.get(name), name
    for name in fields["product"]["fields"]:
        assert name in product, name
