"""The sandbox's own admin API under ``/_sandbox/`` and its Python twin."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.fortnox.helpers import client_for
from ufs_sandboxes.fortnox import FortnoxSandbox


async def test_create_tenant_and_change_its_rounding(anonymous: httpx.AsyncClient) -> None:
    created = await anonymous.post(
        "/_sandbox/tenants", json={"company_name": "Demo AB", "round_off": True}
    )
    tenant_id = created.json()["tenant_id"]
    changed = await anonymous.put(
        f"/_sandbox/tenants/{tenant_id}/settings", json={"round_off": False}
    )
    listed = (await anonymous.get("/_sandbox/tenants")).json()["tenants"]

    assert created.status_code == 201
    assert created.json()["round_off"] is True
    assert changed.json()["round_off"] is False
    assert [t["company_name"] for t in listed][-1] == "Demo AB"
    assert len(listed) == 2


async def test_seed_tokens_and_events_over_http(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    tenant_id = (await anonymous.post("/_sandbox/tenants", json={})).json()["tenant_id"]
    seed: dict[str, Any] = {
        "customers": [{"Name": f"Customer {n}"} for n in range(3)],
        "articles": [{"ArticleNumber": "W1", "Description": "Widget"}],
        "prices": [{"PriceList": "A", "ArticleNumber": "W1", "Price": 12.5}],
        "invoices": [
            {
                "CustomerNumber": "1",
                "InvoiceRows": [{"ArticleNumber": "W1", "DeliveredQuantity": "2"}],
            }
        ],
    }

    seeded = await anonymous.post(f"/_sandbox/tenants/{tenant_id}/seed", json=seed)
    tokens = (await anonymous.post(f"/_sandbox/tenants/{tenant_id}/tokens", json={})).json()
    events = (await anonymous.get(f"/_sandbox/tenants/{tenant_id}/events/customers")).json()[
        "events"
    ]
    later = await anonymous.get(
        f"/_sandbox/tenants/{tenant_id}/events/customers", params={"after": events[0]["offset"]}
    )

    assert seeded.status_code == 201
    assert seeded.json()["created"] == {
        "pricelists": 0,
        "articles": 1,
        "prices": 1,
        "customers": 3,
        "offers": 0,
        "orders": 0,
        "invoices": 1,
    }
    assert [e["entityId"] for e in events] == ["1", "2", "3"]
    assert [e["entityId"] for e in later.json()["events"]] == ["2", "3"]
    async with client_for(sandbox, tokens["access_token"]) as api:
        invoice = (await api.get("/3/invoices/1")).json()["Invoice"]
    assert invoice["Total"] == 31.25


async def test_seed_errors(anonymous: httpx.AsyncClient, tenant_id: int) -> None:
    invalid = await anonymous.post(
        f"/_sandbox/tenants/{tenant_id}/seed", json={"customers": [{"City": "No name"}]}
    )
    unknown = await anonymous.post(f"/_sandbox/tenants/{tenant_id}/seed", json={"planets": []})
    missing = await anonymous.post("/_sandbox/tenants/1/seed", json={})

    assert (invalid.status_code, invalid.json()["ErrorInformation"]["code"]) == (400, 2000588)
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_input")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown_tenant")


async def test_faults_and_counters_over_http(
    anonymous: httpx.AsyncClient, api: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    set_faults = await anonymous.put("/_sandbox/faults", json={"fail_next": 1, "seed": 7})
    failed = await api.get("/3/customers")
    ok = await api.get("/3/customers")
    counters = (await anonymous.get("/_sandbox/counters")).json()
    bad = await anonymous.put("/_sandbox/faults", json={"error_rate": 2})
    cleared = await anonymous.delete("/_sandbox/faults")

    assert set_faults.json()["fail_next"] == 1
    assert (failed.status_code, ok.status_code) == (503, 200)
    assert counters["by_route"] == {"GET /3/customers": 2}
    assert counters["by_status"] == {"503": 1, "200": 1}
    assert bad.status_code == 400
    assert cleared.status_code == 204
    assert (await anonymous.get("/_sandbox/faults")).json()["seed"] is None
    assert (await anonymous.delete("/_sandbox/counters")).status_code == 204
    assert sandbox.request_counters().total == 0


async def test_consent_can_be_denied_over_http(anonymous: httpx.AsyncClient) -> None:
    await anonymous.put("/_sandbox/consent", json={"next": "deny"})

    response = await anonymous.get(
        "/oauth-v1/auth",
        params={
            "client_id": "sandbox-client-id",
            "response_type": "code",
            "scope": "customer",
            "state": "s1",
            "redirect_uri": "https://sync.example/cb",
        },
    )

    assert response.status_code == 302
    assert response.headers["location"] == "https://sync.example/cb?error=access_denied&state=s1"


async def test_reset_forgets_everything(
    anonymous: httpx.AsyncClient, api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])
    sandbox.create_tenant()
    await api.get("/3/customers")

    reset = await anonymous.post("/_sandbox/reset")

    assert reset.status_code == 204
    assert list(sandbox.tenants) == [tenant_id]
    assert len(sandbox.tenant(tenant_id).customers) == 0
    assert sandbox.events(tenant_id, "customers") == []
    assert sandbox.request_counters().total == 0
    assert (await api.get("/3/customers")).status_code == 403  # old tokens are gone


def test_python_api_reads_entities_as_get_shows_them(
    sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        articles=[{"ArticleNumber": "W1", "Description": "Widget"}],
        prices=[{"PriceList": "A", "ArticleNumber": "W1", "Price": 10}],
    )

    article = sandbox.entity(tenant_id, "articles", "W1")

    assert article is not None
    assert article["@url"] == "http://fortnox-sandbox/3/articles/W1"
    assert article["SalesPrice"] == 10
    assert sandbox.entity(tenant_id, "articles", "nope") is None


def test_seeded_documents_may_carry_their_state(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(
        tenant_id,
        customers=[{"Name": "Acme"}],
        orders=[{"CustomerNumber": "1", "Cancelled": True}],
        invoices=[{"CustomerNumber": "1", "Booked": True}],
    )

    order = sandbox.entity(tenant_id, "orders", 1)
    invoice = sandbox.entity(tenant_id, "invoices", 1)

    assert order is not None and order["Cancelled"] is True
    assert invoice is not None and invoice["Booked"] is True
