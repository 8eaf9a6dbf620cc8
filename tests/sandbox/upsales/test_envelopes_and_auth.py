from __future__ import annotations

import httpx

from tests.sandbox.upsales.conftest import body, order_body
from ufs_sandboxes.upsales import DemoUpsalesSeed, UpsalesSandbox


async def test_list_envelope_has_metadata_and_null_error(client: httpx.AsyncClient) -> None:
    response = await client.get("accounts")
    assert response.status_code == 200
    payload = body(response)
    assert payload["error"] is None
    assert payload["metadata"] == {"total": 2, "limit": 1000, "offset": 0}
    assert [a["name"] for a in payload["data"]] == [
        "Nordisk Verkstad AB",
        "Fjällbacka Fisk & Skaldjur AB",
    ]


async def test_get_create_update_delete_envelopes(client: httpx.AsyncClient) -> None:
    created = await client.post("accounts", json={"name": "Ny Kund AB"})
    assert created.status_code == 200
    assert set(body(created)) == {"error", "data"}
    account_id = body(created)["data"]["id"]

    fetched = body(await client.get(f"accounts/{account_id}"))
    assert fetched == {"error": None, "data": body(created)["data"]}

    updated = body(await client.put(f"accounts/{account_id}", json={"phone": "08-123 456"}))
    assert updated["error"] is None and updated["data"]["phone"] == "08-123 456"

    deleted = await client.delete(f"accounts/{account_id}")
    assert deleted.status_code == 200
    assert body(deleted) == {"error": None}
    assert (await client.get(f"accounts/{account_id}")).status_code == 404


async def test_products_and_price_lists_single_answers_carry_null_metadata(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    product_id = demo.product_ids_by_article_no["KONS-1"]
    product = body(await client.get(f"products/{product_id}"))
    price_list = body(await client.get(f"priceLists/{demo.price_list_id}"))
    assert product["metadata"] is None and product["data"]["articleNo"] == "KONS-1"
    assert price_list["metadata"] is None and price_list["data"]["isDefault"] is True


async def test_self_uses_errors_and_names_the_customer(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    payload = body(await client.get("self"))
    assert set(payload) == {"errors", "data"}
    assert payload["errors"] is None
    assert payload["data"]["id"] == demo.api_user_id
    assert payload["data"]["email"].endswith("@api.upsales.com")
    assert payload["data"]["client"] == {"id": demo.customer_id, "name": "Demo Konsult AB"}


async def test_missing_key_is_401_with_upsales_error_body(raw_client: httpx.AsyncClient) -> None:
    response = await raw_client.get("accounts")
    assert response.status_code == 401
    payload = body(response)
    assert payload["data"] is None
    assert payload["error"]["code"] == 401
    assert set(payload["error"]) == {"key", "code", "errorCode", "msg"}
    assert response.headers["X-RateLimit-Limit"] == "200"


async def test_invalid_key_is_401_and_not_echoed(raw_client: httpx.AsyncClient) -> None:
    response = await raw_client.get("accounts", params={"token": "not-a-key-123"})
    assert response.status_code == 401
    assert "not-a-key-123" not in response.text


async def test_key_in_cookie_authenticates(
    raw_client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    response = await raw_client.get("orders", headers={"Cookie": f"token={demo.api_key}"})
    assert response.status_code == 200
    assert body(response)["metadata"]["total"] == 1


async def test_keys_only_open_their_own_customer(
    sandbox: UpsalesSandbox, raw_client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    other = sandbox.create_customer("Annan Kund AB")
    (other_account,) = sandbox.seed(other.id, "accounts", [{"name": "Hemlig AB"}])
    own = body(await raw_client.get("accounts", params={"token": other.api_key}))
    assert [a["name"] for a in own["data"]] == ["Hemlig AB"]
    # Ids restart per customer: id 1 under the demo key is the demo's own company.
    seen = body(await raw_client.get(f"accounts/{other_account}", params={"token": demo.api_key}))
    assert seen["data"]["name"] == "Nordisk Verkstad AB"
    assert (
        await raw_client.get("accounts/999", params={"token": other.api_key})
    ).status_code == 404


async def test_unknown_path_and_method_get_upsales_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("nothing-here")
    assert missing.status_code == 404 and body(missing)["error"]["code"] == 404
    not_allowed = await client.delete("master/users/1")
    assert not_allowed.status_code == 405 and body(not_allowed)["error"]["code"] == 405


async def test_malformed_json_and_non_object_bodies_are_400(client: httpx.AsyncClient) -> None:
    broken = await client.post(
        "accounts", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    array = await client.post("accounts", json=[{"name": "A"}])
    assert array.status_code == 400
    assert body(array)["error"]["key"] == "BadRequest"


async def test_writes_with_an_api_key_are_attributed_to_its_api_user(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    order = body(await client.post("orders", json=order_body(demo)))["data"]
    assert order["regBy"]["id"] == demo.api_user_id
    assert order["regBy"]["email"].endswith("@api.upsales.com")
    assert "modBy" not in order  # real orders carry regBy only (Postman examples, SDK)
