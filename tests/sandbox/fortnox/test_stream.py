"""The WebSocket change stream ``/topics-v1`` and the in-process event log."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # starlette warns that its TestClient will move to another HTTP library; not our concern
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

from ufs_sandboxes.fortnox import FortnoxSandbox, ManualClock

SECRET = "sandbox-client-secret"


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    """Next message; fails instead of hanging when a bug means nothing ever comes."""

    async def next_message() -> dict[str, Any]:
        with anyio.fail_after(timeout):
            message: dict[str, Any] = dict(await ws._send_rx.receive())
            return message

    message = ws.portal.call(next_message)
    assert message["type"] == "websocket.send", message
    decoded: dict[str, Any] = json.loads(message["text"])
    return decoded


def command(ws: WebSocketTestSession, body: dict[str, Any]) -> dict[str, Any]:
    ws.send_json(body)
    return receive(ws)


@pytest.fixture
def client(sandbox: FortnoxSandbox) -> Iterator[TestClient]:
    with TestClient(sandbox.app, base_url="http://fortnox.test") as test_client:
        yield test_client


def bearer(sandbox: FortnoxSandbox, tenant_id: int) -> str:
    return f"Bearer {sandbox.issue_tokens(tenant_id).access_token}"


def subscribe(
    ws: WebSocketTestSession, tokens: list[str], topics: list[dict[str, str]]
) -> dict[str, Any]:
    added = command(
        ws, {"command": "add-tenants-v1", "clientSecret": SECRET, "accessTokens": tokens}
    )
    assert command(ws, {"command": "add-topics-v1", "topics": topics})["result"] == "ok"
    assert command(ws, {"command": "subscribe-v1"}) == {"response": "subscribe-v1", "result": "ok"}
    return added


def post_customer(client: TestClient, token: str, name: str) -> str:
    response = client.post(
        "/3/customers", json={"Customer": {"Name": name}}, headers={"Authorization": token}
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["Customer"]["CustomerNumber"]
    return number


def test_subscribed_client_receives_changes_made_through_rest(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    token = bearer(sandbox, tenant_id)
    with client.websocket_connect("/topics-v1") as ws:
        added = subscribe(ws, [token], [{"topic": "customers"}])
        number = post_customer(client, token, "Acme AB")
        client.put(
            f"/3/customers/{number}",
            json={"Customer": {"City": "Lund"}},
            headers={"Authorization": token},
        )
        created, updated = receive(ws), receive(ws)

    assert added == {
        "response": "add-tenants-v1",
        "result": "ok",
        "tenantIds": {token: tenant_id},
        "invalidTokens": [],
    }
    assert set(created) == {"topic", "offset", "type", "tenantId", "entityId", "timestamp"}
    assert (created["topic"], created["type"]) == ("customers", "customer-created-v1")
    assert (created["tenantId"], created["entityId"]) == (tenant_id, number)
    assert dt.datetime.fromisoformat(created["timestamp"]).utcoffset() == dt.timedelta(hours=1)
    assert updated["type"] == "customer-updated-v2"
    assert updated["offset"] > created["offset"]


def test_offset_replays_later_events_then_streams_new_ones(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": f"Customer {n}"} for n in range(1, 4)])
    first, second, third = sandbox.events(tenant_id, "customers")
    token = bearer(sandbox, tenant_id)

    with client.websocket_connect("/topics-v1") as ws:
        subscribe(ws, [token], [{"topic": "customers", "offset": first["offset"]}])
        replayed = [receive(ws), receive(ws)]
        post_customer(client, token, "Live")
        live = receive(ws)
        marker = command(ws, {"command": "list-tenants-v1"})

    assert replayed == [second, third]
    assert (live["entityId"], live["type"]) == ("4", "customer-created-v1")
    assert marker == {"response": "list-tenants-v1", "result": "ok", "tenantIds": [tenant_id]}


def test_topic_without_offset_streams_only_new_events(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Before"}])
    token = bearer(sandbox, tenant_id)

    with client.websocket_connect("/topics-v1") as ws:
        subscribe(ws, [token], [{"topic": "customers"}, {"topic": "orders"}])
        post_customer(client, token, "After")
        event = receive(ws)

    assert event["entityId"] == "2"


def test_changes_from_another_thread_reach_the_socket(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    token = bearer(sandbox, tenant_id)

    with client.websocket_connect("/topics-v1") as ws:
        subscribe(ws, [token], [{"topic": "articles"}])
        sandbox.seed(tenant_id, articles=[{"ArticleNumber": "W1", "Description": "Widget"}])
        event = receive(ws)

    assert (event["topic"], event["type"], event["entityId"]) == (
        "articles",
        "article-created-v1",
        "W1",
    )


def test_one_connection_serves_many_tenants_and_can_drop_one(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    other = sandbox.create_tenant("Other AB")
    mine, theirs = bearer(sandbox, tenant_id), bearer(sandbox, other)

    with client.websocket_connect("/topics-v1") as ws:
        added = subscribe(ws, [mine, theirs], [{"topic": "customers"}])
        post_customer(client, theirs, "Their customer")
        first = receive(ws)
        removed = command(ws, {"command": "remove-tenants-v1", "tenants": [other]})
        post_customer(client, theirs, "Not streamed")
        post_customer(client, mine, "Streamed")
        second = receive(ws)
        listed = command(ws, {"command": "list-tenants-v1"})

    assert added["tenantIds"] == {mine: tenant_id, theirs: other}
    assert first["tenantId"] == other
    assert removed == {"response": "remove-tenants-v1", "result": "ok"}
    assert (second["tenantId"], second["entityId"]) == (tenant_id, "1")
    assert listed["tenantIds"] == [tenant_id]


def test_invalid_secret_tokens_and_topics_are_reported(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    token = bearer(sandbox, tenant_id)
    with client.websocket_connect("/topics-v1") as ws:
        wrong_secret = command(
            ws, {"command": "add-tenants-v1", "clientSecret": "guess", "accessTokens": [token]}
        )
        mixed = command(
            ws,
            {
                "command": "add-tenants-v1",
                "clientSecret": SECRET,
                "accessTokens": [token, "Bearer nope"],
            },
        )
        topics = command(
            ws,
            {
                "command": "add-topics-v1",
                "topics": [
                    {"topic": "customers"},
                    {"topic": "weather"},
                    {"topic": "orders", "offset": "?"},
                ],
            },
        )
        unknown = command(ws, {"command": "dance-v1"})
        ws.send_text("{not json")
        garbage = receive(ws)

    assert (wrong_secret["result"], wrong_secret["tenantIds"]) == ("error", {})
    assert wrong_secret["invalidTokens"] == [token]
    assert (mixed["result"], mixed["tenantIds"], mixed["invalidTokens"]) == (
        "error",
        {token: tenant_id},
        ["Bearer nope"],
    )
    assert (topics["result"], topics["invalidTopics"]) == ("error", ["weather", "orders"])
    assert (unknown["response"], unknown["result"]) == ("dance-v1", "error")
    assert garbage["result"] == "error"


def test_expired_token_is_invalid_for_the_stream(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    token = bearer(sandbox, tenant_id)
    clock.advance(3600)
    with client.websocket_connect("/topics-v1") as ws:
        reply = command(
            ws, {"command": "add-tenants-v1", "clientSecret": SECRET, "accessTokens": [token]}
        )

    assert reply["invalidTokens"] == [token]


def test_document_events_have_their_types(
    client: TestClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])
    token = bearer(sandbox, tenant_id)
    headers = {"Authorization": token}
    with client.websocket_connect("/topics-v1") as ws:
        subscribe(ws, [token], [{"topic": "orders"}, {"topic": "invoices"}, {"topic": "offers"}])
        client.post("/3/offers", json={"Offer": {"CustomerNumber": "1"}}, headers=headers)
        client.put("/3/offers/1/createorder", headers=headers)
        client.put("/3/orders/1/createinvoice", headers=headers)
        client.put("/3/invoices/1/cancel", headers=headers)
        received = [receive(ws) for _ in range(6)]

    by_topic: dict[str, list[str]] = {}
    for event in received:
        by_topic.setdefault(event["topic"], []).append(event["type"])
    assert by_topic == {
        "offers": ["offer-created-v1", "offer-updated-v1"],
        "orders": ["order-created-v1", "order-updated-v1"],
        "invoices": ["invoice-created-v1", "invoice-cancelled-v1"],
    }


def test_event_log_in_process(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": f"C{n}"} for n in range(5)])
    other = sandbox.create_tenant()
    sandbox.seed(other, customers=[{"Name": "Elsewhere"}])

    events = sandbox.events(tenant_id, "customers")
    after_second = sandbox.events(tenant_id, "customers", after_offset=events[1]["offset"])

    offsets = [e["offset"] for e in events]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == 5
    assert [e["entityId"] for e in after_second] == ["3", "4", "5"]
    assert sandbox.events(other, "customers")[0]["offset"] not in offsets
    assert sandbox.events(tenant_id, "orders") == []
    with pytest.raises(ValueError):
        sandbox.events(tenant_id, "customers", after_offset="not an offset")
