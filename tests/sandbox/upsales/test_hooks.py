from __future__ import annotations

import json
import threading
from decimal import Decimal

import httpx
import respx

from tests.sandbox.upsales.conftest import body, order_body
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    HookCall,
    UpsalesSandbox,
    build_app_hook_body,
)


class Sink:
    def __init__(self) -> None:
        self.calls: list[HookCall] = []

    async def __call__(self, call: HookCall) -> httpx.Response:
        self.calls.append(call)
        return httpx.Response(202)


async def test_order_insert_and_update_reach_the_sink_with_the_app_hook_body(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    sink = Sink()
    sandbox.register_hook_sink(sink)
    created = body(await client.post("orders", json=order_body(demo)))["data"]
    updated = body(await client.put(f"orders/{created['id']}", json={"probability": 100}))["data"]
    await sandbox.flush_hooks()

    assert [c.event_type for c in sink.calls] == ["after_order_insert", "after_order_update"]
    insert = json.loads(sink.calls[0].content, parse_float=Decimal)
    assert insert == {
        "type": "after_order_insert",
        "customerId": demo.customer_id,
        "apiKey": demo.api_key,
        "user": {
            "id": demo.api_user_id,
            "name": "API",
            "email": f"api-{demo.customer_id}-{demo.api_user_id}@api.upsales.com",
        },
        "data": {"object": created},
    }
    update = json.loads(sink.calls[1].content, parse_float=Decimal)
    assert update["data"]["object"] == updated
    assert update["data"]["object"]["closeDate"] == "2024-06-01"
    assert [d.status for d in sandbox.hook_deliveries()] == [202, 202]


async def test_company_update_is_sent_but_insert_only_when_subscribed(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    sink = Sink()
    sandbox.register_hook_sink(sink)
    await client.post("accounts", json={"name": "Tyst AB"})
    await client.put(f"accounts/{demo.account_ids[0]}", json={"phone": "031-1"})
    await sandbox.flush_hooks()
    assert [c.event_type for c in sink.calls] == ["after_client_update"]
    assert sink.calls[0].body["data"]["object"]["phone"] == "031-1"

    sandbox.register_hook_sink(sink, events=["after_client_insert", "after_client_delete"])
    created = body(await client.post("accounts", json={"name": "Hörd AB"}))["data"]
    await client.delete(f"accounts/{created['id']}")
    await sandbox.flush_hooks()
    assert [c.event_type for c in sink.calls[1:]] == ["after_client_insert", "after_client_delete"]


async def test_python_api_changes_act_as_the_given_user_and_seeds_stay_silent(
    sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    sink = Sink()
    sandbox.register_hook_sink(sink)
    sandbox.seed(demo.customer_id, "orders", [order_body(demo)])
    erik = demo.sales_rep_user_ids[0]
    sandbox.update_entity(
        demo.customer_id, "orders", demo.opportunity_id, {"probability": 100}, user_id=erik
    )
    await sandbox.flush_hooks()
    assert len(sink.calls) == 1
    assert sink.calls[0].body["user"] == {
        "id": erik,
        "name": "Erik Säljare",
        "email": "erik@demokonsult.se",
    }
    assert sink.calls[0].body["data"]["object"]["probability"] == 100


async def test_changes_made_without_a_running_loop_are_sent_on_flush(
    sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    sink = Sink()
    sandbox.register_hook_sink(sink)

    def change_synchronously() -> None:
        sandbox.update_entity(demo.customer_id, "accounts", demo.account_ids[1], {"notes": "A"})

    worker = threading.Thread(target=change_synchronously)
    worker.start()
    worker.join()
    assert sink.calls == []
    await sandbox.flush_hooks()
    assert [c.body["data"]["object"]["notes"] for c in sink.calls] == ["A"]


async def test_calls_keep_the_order_of_the_writes(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    sink = Sink()
    sandbox.register_hook_sink(sink)
    for n in range(5):
        await client.put(f"orders/{demo.opportunity_id}", json={"notes": f"steg {n}"})
    await sandbox.flush_hooks()
    assert [c.body["data"]["object"]["notes"] for c in sink.calls] == [
        f"steg {n}" for n in range(5)
    ]


async def test_a_failing_sink_is_recorded_and_does_not_fail_the_write(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    async def broken(call: HookCall) -> None:
        raise RuntimeError("service down")

    sandbox.register_hook_sink(broken)
    response = await client.put(f"orders/{demo.opportunity_id}", json={"notes": "x"})
    assert response.status_code == 200
    await sandbox.flush_hooks()
    (delivery,) = sandbox.hook_deliveries()
    assert delivery.status is None and delivery.error == "RuntimeError: service down"


@respx.mock
async def test_url_sink_receives_a_json_post(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    route = respx.post("http://service.test/webhooks/upsales").mock(
        return_value=httpx.Response(202)
    )
    sandbox.register_hook_sink("http://service.test/webhooks/upsales")
    order = body(await client.post("orders", json=order_body(demo)))["data"]
    await sandbox.flush_hooks()
    assert route.call_count == 1
    request = route.calls[0].request
    assert request.headers["content-type"] == "application/json"
    sent = json.loads(request.content, parse_float=Decimal)
    assert sent["type"] == "after_order_insert" and sent["data"]["object"] == order
    assert sandbox.hook_deliveries()[0].status == 202


def test_hook_body_shape() -> None:
    entity = {"id": 5, "value": Decimal("10.50")}
    user = {"id": 2, "name": "Eva", "email": "eva@example.se", "administrator": 1}
    assert build_app_hook_body(
        event_type="after_order_update", entity=entity, acting_user=user, customer_id=9, api_key="k"
    ) == {
        "type": "after_order_update",
        "customerId": 9,
        "apiKey": "k",
        "user": {"id": 2, "name": "Eva", "email": "eva@example.se"},
        "data": {"object": entity},
    }
