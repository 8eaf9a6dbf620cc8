from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from tests.sandbox.upsales.conftest import FakeClock, body, order_body
from ufs_sandboxes.upsales import DemoUpsalesSeed, UpsalesSandbox


async def test_missing_mandatory_fields_are_listed_in_one_400(client: httpx.AsyncClient) -> None:
    response = await client.post("orders", json={"description": "Bara en beskrivning"})
    assert response.status_code == 400
    msg = body(response)["error"]["msg"]
    for field in ("date", "user", "client", "stage", "probability", "orderRow"):
        assert field in msg


@pytest.mark.parametrize("missing", ["quantity", "price", "listPrice", "product"])
async def test_rows_need_quantity_prices_and_product(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, missing: str
) -> None:
    payload = order_body(demo)
    del payload["orderRow"][0][missing]
    response = await client.post("orders", json=payload)
    assert response.status_code == 400
    assert missing in body(response)["error"]["msg"]


@pytest.mark.parametrize(
    "override",
    [
        {"stage": {"id": 999}},
        {"client": {"id": 999}},
        {"user": {"id": 999}},
        {"probability": 101},
        {"date": "1 juni"},
        {"orderRow": []},
        {"orderRow": [{"product": {"id": 999}, "quantity": 1, "price": 1, "listPrice": 1}]},
        {"currency": "XYZ"},
    ],
)
async def test_invalid_references_and_values_are_400(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, override: dict[str, object]
) -> None:
    response = await client.post("orders", json=order_body(demo, **override))
    assert response.status_code == 400


async def test_value_is_quantity_times_net_price_exactly(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    kons = demo.product_ids_by_article_no["KONS-1"]
    lic = demo.product_ids_by_article_no["LIC-BAS"]
    rows = [
        {"product": {"id": lic}, "quantity": 1, "listPrice": 10000, "price": 9000},
        {"product": {"id": kons}, "quantity": 3, "listPrice": "1250.00", "price": 333.33},
        {"product": {"id": kons}, "quantity": 0.5, "listPrice": 0.1, "price": 0.1},
    ]
    response = await client.post("orders", json=order_body(demo, probability=30, orderRow=rows))
    order = body(response)["data"]
    assert order["value"] == Decimal("9000") + Decimal("999.99") + Decimal("0.05")
    assert order["weightedValue"] == Decimal("3000.012")
    assert order["valueInMasterCurrency"] == order["value"]
    assert [row["discount"] for row in order["orderRow"]] == [0, 0, 0]
    assert [row["sortId"] for row in order["orderRow"]] == [1, 2, 3]
    assert order["orderRow"][0]["product"] == {
        "id": lic,
        "name": "Licens Bas",
        "category": {"id": demo.product_category_id, "name": "Tjänster"},
    }
    assert order["orderRow"][1]["productId"] == kons
    assert b'"price":333.33' in response.content  # a JSON number, exactly as sent


async def test_recurring_rows_count_per_month_and_year_the_rest_once(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    quarterly = {"name": "Support", "listPrice": 300, "isRecurring": 1, "recurringInterval": 3}
    support = body(await client.post("products", json=quarterly))["data"]["id"]
    kons = demo.product_ids_by_article_no["KONS-1"]
    rows = [
        {"product": {"id": support}, "quantity": 2, "listPrice": 300, "price": 250},
        {"product": {"id": kons}, "quantity": 3, "listPrice": 1250, "price": "1000.50"},
    ]
    order = body(await client.post("orders", json=order_body(demo, orderRow=rows)))["data"]
    assert order["oneOffValue"] == Decimal("3001.50")
    assert order["monthlyValue"] == Decimal("166.67")  # 500 every third month
    assert order["annualValue"] == Decimal("2000.00")
    assert order["value"] == Decimal("3501.50")


async def test_foreign_currency_value_in_master_currency(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    order = body(await client.post("orders", json=order_body(demo, currency="EUR")))["data"]
    assert order["currencyRate"] == Decimal("0.087")
    assert order["value"] == 4900
    assert order["valueInMasterCurrency"] == Decimal("56321.84")


async def test_close_date_follows_probability(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, clock: FakeClock
) -> None:
    order = body(await client.post("orders", json=order_body(demo)))["data"]
    assert order["closeDate"] is None
    clock.advance(86400 * 3)
    won = body(
        await client.put(
            f"orders/{order['id']}", json={"stage": {"id": demo.stage_won_id}, "probability": 100}
        )
    )["data"]
    assert won["closeDate"] == "2024-06-04"
    assert won["stage"] == {"id": demo.stage_won_id, "name": "Vunnen order"}
    assert won["weightedValue"] == won["value"]
    clock.advance(86400)
    still_won = body(await client.put(f"orders/{order['id']}", json={"notes": "Fakturerad"}))[
        "data"
    ]
    assert still_won["closeDate"] == "2024-06-04"
    reopened = body(await client.put(f"orders/{order['id']}", json={"probability": 60}))["data"]
    assert reopened["closeDate"] is None
    lost = body(await client.put(f"orders/{order['id']}", json={"probability": 0}))["data"]
    assert lost["closeDate"] == "2024-06-05" and lost["weightedValue"] == 0


async def test_a_deal_won_after_midnight_in_stockholm_closes_on_that_swedish_day(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, clock: FakeClock
) -> None:
    """Won at 00:30 on 4 June in Stockholm (22:30 UTC on the 3rd): closed on the 4th, the day
    the sales rep won it, as Upsales dates it for a Swedish account."""
    order = body(await client.post("orders", json=order_body(demo)))["data"]
    clock.now = dt.datetime(2024, 6, 3, 22, 30, tzinfo=dt.UTC).timestamp()
    won = body(
        await client.put(
            f"orders/{order['id']}", json={"stage": {"id": demo.stage_won_id}, "probability": 100}
        )
    )["data"]
    assert won["closeDate"] == "2024-06-04"
    clock.now = dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC).timestamp()  # winter: UTC+1
    lost = body(await client.put(f"orders/{order['id']}", json={"probability": 0}))["data"]
    assert lost["closeDate"] == "2025-01-01"


async def test_created_as_won_gets_todays_close_date(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    order = body(await client.post("orders", json=order_body(demo, probability=100)))["data"]
    assert order["closeDate"] == "2024-06-01"


async def test_updating_rows_keeps_ids_of_rows_sent_back(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    order = body(await client.get(f"orders/{demo.opportunity_id}"))["data"]
    first, second = order["orderRow"]
    kept = {**first, "quantity": 5}
    new_row = {
        "product": {"id": demo.product_ids_by_article_no["UTB-DAG"]},
        "quantity": 1,
        "price": 9500,
        "listPrice": 9500,
    }
    updated = body(await client.put(f"orders/{order['id']}", json={"orderRow": [kept, new_row]}))[
        "data"
    ]
    assert updated["orderRow"][0]["id"] == first["id"]
    assert updated["orderRow"][1]["id"] not in (first["id"], second["id"])
    assert updated["value"] == 5 * Decimal(4410) + 9500
    assert updated["description"] == order["description"]


async def test_bundle_rows_on_a_bundle_product(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    kons = demo.product_ids_by_article_no["KONS-1"]
    lic = demo.product_ids_by_article_no["LIC-BAS"]
    bundle = body(
        await client.post(
            "products",
            json={
                "name": "Startpaket",
                "articleNo": "START",
                "listPrice": 12000,
                "bundlePriceAdjustment": 0.9,
                "bundle": [{"productId": kons, "quantity": 4}, {"productId": lic, "quantity": 1}],
            },
        )
    )["data"]
    row = {"product": {"id": bundle["id"]}, "quantity": 1, "price": 11000, "listPrice": 12000}
    order = body(await client.post("orders", json=order_body(demo, orderRow=[row])))["data"]
    bundle_rows = order["orderRow"][0]["bundleRows"]
    assert [(r["productId"], r["quantity"], r["sortId"]) for r in bundle_rows] == [
        (kons, 4, 1),
        (lic, 1, 2),
    ]
    assert bundle_rows[0]["listPrice"] == 1250 and bundle_rows[0]["price"] == Decimal("1125.0")
    assert order["value"] == 11000
    nested = await client.post(
        "products", json={"name": "X", "listPrice": 1, "bundle": [{"productId": bundle["id"]}]}
    )
    assert nested.status_code == 400


async def test_custom_fields_on_orders_and_rows(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    row_field = body(
        await client.post("customfields/orderrow", json={"name": "Period", "datatype": "String"})
    )["data"]["id"]
    payload = order_body(
        demo, custom=[{"fieldId": demo.order_fortnox_document_field_id, "value": "F-1001"}]
    )
    payload["orderRow"][0]["custom"] = [{"fieldId": row_field, "value": "2024-06"}]
    order = body(await client.post("orders", json=payload))["data"]
    assert order["custom"] == [{"fieldId": demo.order_fortnox_document_field_id, "value": "F-1001"}]
    assert order["orderRow"][0]["custom"] == [{"fieldId": row_field, "value": "2024-06"}]
    await client.delete(f"customfields/orderrow/{row_field}")
    assert body(await client.get(f"orders/{order['id']}"))["data"]["orderRow"][0]["custom"] == []


async def test_contact_must_exist_and_is_embedded(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    contact = body(
        await client.post(
            "contacts",
            json={
                "name": "Karin Berg",
                "email": "karin@nordisk.se",
                "client": {"id": demo.account_ids[0]},
            },
        )
    )["data"]
    order = body(await client.post("orders", json=order_body(demo, contact={"id": contact["id"]})))[
        "data"
    ]
    assert order["contact"] == {
        "id": contact["id"],
        "name": "Karin Berg",
        "email": "karin@nordisk.se",
    }
    assert (
        await client.post("orders", json=order_body(demo, contact={"id": 999}))
    ).status_code == 400


async def test_stage_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    response = await client.delete(f"orderstages/{demo.stage_offer_id}")
    assert response.status_code == 400
    assert (await client.delete(f"orderstages/{demo.stage_contact_id}")).status_code == 200
