from __future__ import annotations

from decimal import Decimal

import httpx

from tests.sandbox.upsales.conftest import body
from ufs_sandboxes.upsales import UpsalesSandbox


async def _customer(admin: httpx.AsyncClient) -> dict[str, object]:
    response = await admin.post("customers", json={"name": "Admin Skapad AB"})
    assert response.status_code == 201
    created: dict[str, object] = response.json()
    return created


async def test_create_customer_and_use_its_key(
    admin_client: httpx.AsyncClient, raw_client: httpx.AsyncClient
) -> None:
    customer = await _customer(admin_client)
    me = body(await raw_client.get("self", params={"token": customer["apiKey"]}))["data"]
    assert me["client"] == {"id": customer["id"], "name": "Admin Skapad AB"}
    assert me["id"] == customer["userId"]
    listed = (await admin_client.get("customers")).json()
    assert [c["id"] for c in listed] == [customer["id"]]


async def test_bulk_seed_returns_ids_and_keeps_decimals_exact(
    sandbox: UpsalesSandbox, admin_client: httpx.AsyncClient
) -> None:
    customer = await _customer(admin_client)
    response = await admin_client.post(
        f"customers/{customer['id']}/seed",
        content=b'{"orderstages": [{"name": "Offert", "probability": 50}],'
        b' "products": [{"name": "P", "listPrice": 99.95, "articleNo": "P-1"}],'
        b' "accounts": [{"name": "A AB"}, {"name": "B AB"}]}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"orderstages": [1], "products": [1], "accounts": [1, 2]}
    product = sandbox.get_entity(int(str(customer["id"])), "products", 1)
    assert product is not None and product["listPrice"] == Decimal("99.95")


async def test_seed_errors_name_the_item_and_unknown_things_are_refused(
    admin_client: httpx.AsyncClient,
) -> None:
    customer = await _customer(admin_client)
    bad = await admin_client.post(
        f"customers/{customer['id']}/seed", json={"accounts": [{"name": "Ok"}, {"phone": "1"}]}
    )
    assert bad.status_code == 400
    assert body(bad)["error"]["msg"].startswith("accounts[1]:")
    assert (
        await admin_client.post(f"customers/{customer['id']}/seed", json={"spaceships": []})
    ).status_code == 400
    assert (await admin_client.post("customers/999/seed", json={"accounts": []})).status_code == 404


async def test_api_key_for_an_existing_user(
    admin_client: httpx.AsyncClient, raw_client: httpx.AsyncClient
) -> None:
    customer = await _customer(admin_client)
    seeded = (
        await admin_client.post(
            f"customers/{customer['id']}/seed",
            json={"users": [{"name": "Maja", "email": "maja@kund.se"}]},
        )
    ).json()
    (maja,) = seeded["users"]
    key = (
        await admin_client.post(f"customers/{customer['id']}/api-keys", json={"userId": maja})
    ).json()
    assert key["userId"] == maja
    account = body(
        await raw_client.post(
            "accounts", params={"token": key["apiKey"]}, json={"name": "Majas AB"}
        )
    )
    assert account["data"]["regBy"] == {"id": maja, "name": "Maja", "email": "maja@kund.se"}
    assert (
        await admin_client.post(f"customers/{customer['id']}/api-keys", json={"userId": 999})
    ).status_code == 400


async def test_fault_knobs(sandbox: UpsalesSandbox, admin_client: httpx.AsyncClient) -> None:
    response = await admin_client.put("faults", json={"fail_next": 3, "latency_ms": 20})
    assert response.json() == {
        "error_rate": 0.0,
        "latency_ms": 20,
        "fail_next": 3,
        "drop_next": 0,
        "seed": 7,
    }
    assert sandbox.faults.fail_next == 3
    assert (await admin_client.get("faults")).json()["latency_ms"] == 20
    assert (await admin_client.put("faults", json={"error_rate": 2})).status_code == 400
    assert (await admin_client.put("faults", json={"explode": True})).status_code == 400


async def test_counters_by_route_template_and_reset(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient, raw_client: httpx.AsyncClient
) -> None:
    await client.get("accounts/1")
    await client.get("accounts/2")
    await client.get("accounts")
    await raw_client.get("accounts")
    counters = (await admin_client.get("counters")).json()
    assert counters["byRoute"] == {"GET /api/v2/accounts/{id}": 2, "GET /api/v2/accounts": 2}
    assert counters["byStatus"] == {"200": 3, "401": 1}
    assert counters["total"] == 4 and sum(counters["byApiKey"].values()) == 3
    assert (await admin_client.delete("counters")).json()["total"] == 0


async def test_reset_forgets_everything(
    sandbox: UpsalesSandbox, admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await admin_client.put("faults", json={"latency_ms": 5})
    assert (await client.get("self")).status_code == 200
    assert (await admin_client.post("reset")).status_code == 200
    assert (await client.get("self")).status_code == 401
    assert (await admin_client.get("customers")).json() == []
    assert sandbox.faults.latency_ms == 0


async def test_hook_sink_by_url(sandbox: UpsalesSandbox, admin_client: httpx.AsyncClient) -> None:
    registered = await admin_client.put(
        "hooks/sink", json={"url": "http://service.test/hooks", "events": ["after_order_insert"]}
    )
    assert registered.json() == {
        "registered": True,
        "url": "http://service.test/hooks",
        "events": ["after_order_insert"],
    }
    assert (await admin_client.get("hooks/sink")).json()["url"] == "http://service.test/hooks"
    assert (await admin_client.put("hooks/sink", json={"url": "ftp://x"})).status_code == 400
    assert (
        await admin_client.put("hooks/sink", json={"url": "http://x", "events": ["after_lunch"]})
    ).status_code == 400
    assert (await admin_client.delete("hooks/sink")).json() == {"registered": False}
    assert sandbox.hooks.target is None
    assert (await admin_client.get("hooks/deliveries")).json() == []
    assert (await admin_client.post("hooks/flush")).json() == {"delivered": 0}


async def test_admin_paths_need_no_upsales_key_and_are_not_counted(
    sandbox: UpsalesSandbox, admin_client: httpx.AsyncClient
) -> None:
    response = await admin_client.get("customers")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
    assert sandbox.request_counters()["total"] == 0
