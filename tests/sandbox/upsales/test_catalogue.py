"""Products, categories, price lists, users, custom fields and currencies."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.sandbox.upsales.conftest import body
from ufs_sandboxes.upsales import DemoUpsalesSeed, UpsalesSandbox


async def test_product_needs_name_and_list_price(client: httpx.AsyncClient) -> None:
    response = await client.post("products", json={"name": "Utan pris"})
    assert response.status_code == 400
    assert "listPrice" in body(response)["error"]["msg"]
    product = body(await client.post("products", json={"name": "Med pris", "listPrice": "99.90"}))[
        "data"
    ]
    assert product["listPrice"] == Decimal("99.90")
    assert product["active"] == 1 and product["articleNo"] is None


async def test_article_numbers_are_unique(client: httpx.AsyncClient, demo: DemoUpsalesSeed) -> None:
    duplicate = await client.post(
        "products", json={"name": "Kopia", "listPrice": 1, "articleNo": "KONS-1"}
    )
    assert duplicate.status_code == 400
    other = body(
        await client.post("products", json={"name": "Annan", "listPrice": 1, "articleNo": "NY-1"})
    )["data"]
    clash = await client.put(f"products/{other['id']}", json={"articleNo": "LIC-BAS"})
    assert clash.status_code == 400
    kons = demo.product_ids_by_article_no["KONS-1"]
    renamed = await client.put(f"products/{kons}", json={"articleNo": "KONS-2"})
    assert renamed.status_code == 200
    reused = await client.put(f"products/{other['id']}", json={"articleNo": "KONS-1"})
    assert reused.status_code == 200


async def test_products_cannot_be_deleted_only_deactivated(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    kons = demo.product_ids_by_article_no["KONS-1"]
    response = await client.delete(f"products/{kons}")
    assert response.status_code == 400
    assert body(response)["error"]["code"] == 400
    deactivated = body(await client.put(f"products/{kons}", json={"active": 0}))["data"]
    assert deactivated["active"] == 0
    inactive = body(await client.get("products", params={"active": 0}))["data"]
    assert [p["id"] for p in inactive] == [kons]


async def test_category_in_use_gives_the_documented_403(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    response = await client.delete(f"productCategories/{demo.product_category_id}")
    assert response.status_code == 403
    assert body(response) == {
        "error": {
            "key": "ProductOrChildCategoryExist",
            "code": 403,
            "errorCode": 100,
            "msg": "The category has products or child categories",
        },
        "data": None,
    }
    empty = body(await client.post("productCategories", json={"name": "Tom"}))["data"]
    assert (await client.delete(f"productCategories/{empty['id']}")).status_code == 200


async def test_exactly_one_default_price_list(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    campaign = body(await client.post("priceLists", json={"name": "Kampanj", "code": "kampanj"}))[
        "data"
    ]
    assert campaign["isDefault"] is False
    made_default = body(await client.put(f"priceLists/{campaign['id']}", json={"isDefault": True}))[
        "data"
    ]
    assert made_default["isDefault"] is True
    lists = body(await client.get("priceLists"))["data"]
    assert [(p["id"], p["isDefault"]) for p in lists] == [
        (demo.price_list_id, False),
        (campaign["id"], True),
    ]
    assert (await client.delete(f"priceLists/{campaign['id']}")).status_code == 400
    assert (
        await client.put(f"priceLists/{campaign['id']}", json={"isDefault": False})
    ).status_code == 400


async def test_users_list_and_master_users(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    users = body(await client.get("users"))["data"]
    assert [u["name"] for u in users] == ["API", "Anna Administratör", "Erik Säljare", "Sara Lind"]
    created = body(
        await client.post("master/users", json={"name": "Olle Ny", "email": "olle@demokonsult.se"})
    )["data"]
    assert created["active"] == 1 and created["administrator"] == 0
    fetched = body(await client.get(f"master/users/{created['id']}"))["data"]
    assert fetched == created
    updated = body(
        await client.put(f"master/users/{created['id']}", json={"userTitle": "Säljchef"})
    )["data"]
    assert updated["userTitle"] == "Säljchef"
    duplicate = await client.post(
        "master/users", json={"name": "Kopia", "email": "OLLE@demokonsult.se"}
    )
    assert duplicate.status_code == 400
    assert (await client.post("master/users", json={"name": "Utan e-post"})).status_code == 400


async def test_custom_fields_per_entity_with_unique_alias(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    fields = body(await client.get("customfields/account"))["data"]
    assert [(f["id"], f["alias"], f["datatype"]) for f in fields] == [
        (demo.account_fortnox_customer_number_field_id, "FORTNOX_CUSTOMER_NUMBER", "String")
    ]
    by_alias = body(await client.get("customfields/order", params={"alias": "FORTNOX_DOCUMENT"}))[
        "data"
    ]
    assert [f["id"] for f in by_alias] == [demo.order_fortnox_document_field_id]
    duplicate = await client.post(
        "customfields/account",
        json={"name": "X", "alias": "FORTNOX_CUSTOMER_NUMBER", "datatype": "String"},
    )
    assert duplicate.status_code == 400
    same_alias_other_entity = await client.post(
        "customfields/product",
        json={"name": "X", "alias": "FORTNOX_CUSTOMER_NUMBER", "datatype": "String"},
    )
    assert same_alias_other_entity.status_code == 200
    assert (
        await client.post("customfields/account", json={"name": "X", "datatype": "Nope"})
    ).status_code == 400
    assert (await client.get("customfields/spaceship")).status_code == 404


async def test_deleting_a_custom_field_deletes_its_values(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    field_id = demo.account_fortnox_customer_number_field_id
    await client.put(
        f"accounts/{demo.account_ids[0]}", json={"custom": [{"fieldId": field_id, "value": "77"}]}
    )
    assert (await client.delete(f"customfields/account/{field_id}")).status_code == 200
    account = sandbox.get_entity(demo.customer_id, "accounts", demo.account_ids[0])
    assert account is not None and account["custom"] == []


async def test_currencies(client: httpx.AsyncClient) -> None:
    payload = body(await client.get("currencies"))
    assert payload["metadata"]["total"] == 2
    assert payload["data"] == [
        {"iso": "SEK", "rate": 1, "masterCurrency": True, "active": True},
        {"iso": "EUR", "rate": Decimal("0.087"), "masterCurrency": False, "active": True},
    ]
