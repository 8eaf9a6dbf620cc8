"""The webhook endpoints: authentication, refusals that store nothing, durable acceptance."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.intake.support import (
    API_KEY,
    WEBHOOK_SECRET,
    all_events,
    all_jobs,
    count_rows,
    create_installation,
    fortnox_event,
    order_hook,
)
from upsales_fortnox.core.config import Settings
from upsales_fortnox.intake.hook_answers import ResponderRegistry, ResponderReply
from upsales_fortnox.intake.installations import WebhookInstallation
from upsales_fortnox.main import create_app
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services, build_services

SECRET_HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}
TRIGGER = {"event": "after_order_update", "entity": "order", "id": "42"}


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


def upsales_url(installation: Installation | str) -> str:
    key = installation if isinstance(installation, str) else installation.id
    return f"/webhooks/upsales/{key}"


def fortnox_url(installation: Installation | str) -> str:
    key = installation if isinstance(installation, str) else installation.id
    return f"/webhooks/fortnox/{key}"


async def test_app_hook_is_accepted_and_committed(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(upsales_url(installation), json=order_hook(7))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted" and isinstance(body["job_id"], int)
    (event,) = await all_events(services.session_factory)
    (job,) = await all_jobs(services.session_factory)
    assert (event.installation_id, event.source, event.entity_type, event.entity_id) == (
        installation.id,
        "upsales",
        "order",
        "7",
    )
    assert event.job_id == job.id == body["job_id"]
    assert (job.kind, job.entity_id, job.status) == ("upsales.order", "7", "queued")
    assert API_KEY not in json.dumps(event.payload)


async def test_client_event_queues_a_company_sync(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = {"type": "after_client_insert", "apiKey": API_KEY, "data": {"object": {"id": 5}}}
    response = await api_client.post(upsales_url(installation), json=body)
    assert response.status_code == 202
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.company", "5")


async def test_trigger_request_authenticates_with_the_header(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(
        upsales_url(installation), json=TRIGGER, headers=SECRET_HEADERS
    )
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.order", "42")
    company = {"event": "after_client_update", "entity": "company", "id": 8}
    response = await api_client.post(
        upsales_url(installation), json=company, headers=SECRET_HEADERS
    )
    assert response.status_code == 202
    assert await count_rows(services.session_factory) == (2, 2)


async def test_a_trigger_body_that_carries_the_api_key_is_stored_without_it(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    """The customer's API key is never stored, whichever way the request authenticates (a
    trigger whose body copies an app hook's fields brings it along)."""
    body = {**TRIGGER, "apiKey": API_KEY}
    response = await api_client.post(upsales_url(installation), json=body, headers=SECRET_HEADERS)
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (event,) = await all_events(services.session_factory)
    assert API_KEY not in json.dumps(event.payload)
    assert event.payload == TRIGGER


async def test_a_deleted_order_queues_its_sync(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    """A deal deleted in Upsales is synced (its job tells of the Fortnox document it leaves),
    not dropped as other after-events are."""
    deleted = order_hook(7, event="after_order_delete")
    response = await api_client.post(upsales_url(installation), json=deleted)
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id, job.status) == ("upsales.order", "7", "queued")


async def test_duplicate_delivery_creates_nothing_new(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    first = await api_client.post(upsales_url(installation), json=order_hook(7))
    again = await api_client.post(upsales_url(installation), json=order_hook(7))
    assert again.status_code == 202
    assert again.json() == {"status": "duplicate", "job_id": first.json()["job_id"]}
    assert await count_rows(services.session_factory) == (1, 1)


async def test_two_events_for_one_queued_entity_share_the_job(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    insert = await api_client.post(
        upsales_url(installation), json=order_hook(7, event="after_order_insert")
    )
    update = await api_client.post(upsales_url(installation), json=order_hook(7))
    assert insert.json()["status"] == update.json()["status"] == "accepted"
    assert insert.json()["job_id"] == update.json()["job_id"]
    assert await count_rows(services.session_factory) == (2, 1)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"type": "after_contact_update", "apiKey": API_KEY, "data": {}}, {}),
        ({"type": "after_client_delete", "apiKey": API_KEY}, {}),
        ({"event": "after_contact_insert", "entity": "contact", "id": 3}, SECRET_HEADERS),
    ],
)
async def test_other_after_events_are_acknowledged_and_not_stored(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    response = await api_client.post(upsales_url(installation), json=body, headers=headers)
    assert response.status_code == 202
    assert response.json() == {"status": "ignored", "job_id": None}
    assert await count_rows(services.session_factory) == (0, 0)


async def test_synchronous_hook_without_responder_is_unsupported(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = {"type": "esign", "apiKey": API_KEY, "data": {"obj": {"id": 1}}}
    response = await api_client.post(upsales_url(installation), json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported_event"
    assert "esign" in response.json()["error"]["message"]
    assert await count_rows(services.session_factory) == (0, 0)


async def test_synchronous_hook_is_answered_by_its_responder(
    app: FastAPI, api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    asked: list[tuple[WebhookInstallation, dict[str, Any]]] = []

    async def refuse(asker: WebhookInstallation, body: dict[str, Any]) -> ResponderReply:
        asked.append((asker, body))
        return ResponderReply({"error": "the order has no company"}, status_code=400)

    registry = ResponderRegistry()
    registry.register("before_order_save", refuse)
    app.state.responders = registry
    body = {"type": "before_order_save", "apiKey": API_KEY, "data": {"obj": {"id": 1}}}
    response = await api_client.post(upsales_url(installation), json=body)
    assert response.status_code == 400
    assert response.json() == {"error": "the order has no company"}
    ((asker, seen),) = asked
    assert asker.id == installation.id
    assert seen == {"type": "before_order_save", "data": {"obj": {"id": 1}}}
    unauthenticated = await api_client.post(upsales_url(installation), json={**body, "apiKey": "x"})
    assert unauthenticated.status_code == 401 and len(asked) == 1
    assert await count_rows(services.session_factory) == (0, 0)


async def test_fortnox_event_is_accepted_and_committed(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    event = fortnox_event(topic="customers", entity_id="100", type_="customer-updated-v1")
    response = await api_client.post(fortnox_url(installation), json=event, headers=SECRET_HEADERS)
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    (stored,) = await all_events(services.session_factory)
    (job,) = await all_jobs(services.session_factory)
    assert (stored.source, stored.dedupe_key, stored.entity_type, stored.entity_id) == (
        "fortnox",
        "fortnox:customers:xDy7J",
        "customer",
        "100",
    )
    assert stored.payload["type"] == "customer-updated-v1"
    assert (job.kind, job.entity_id) == ("fortnox.customer", "100")


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        ("customers", "fortnox.customer"),
        ("articles", "fortnox.article"),
        ("orders", "fortnox.order"),
        ("invoices", "fortnox.invoice"),
        ("offers", "fortnox.offer"),
    ],
)
async def test_fortnox_topics_map_to_job_kinds(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    topic: str,
    kind: str,
) -> None:
    response = await api_client.post(
        fortnox_url(installation), json=fortnox_event(topic=topic), headers=SECRET_HEADERS
    )
    assert response.status_code == 202
    (job,) = await all_jobs(services.session_factory)
    assert job.kind == kind


async def test_fortnox_list_is_answered_per_event(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    await api_client.post(
        fortnox_url(installation), json=fortnox_event("a"), headers=SECRET_HEADERS
    )
    batch = [
        fortnox_event("a"),
        fortnox_event("b"),
        fortnox_event("v", topic="vouchers"),
        fortnox_event("c", entity_id="999"),
    ]
    response = await api_client.post(fortnox_url(installation), json=batch, headers=SECRET_HEADERS)
    assert response.status_code == 202
    results = response.json()["results"]
    assert [result["status"] for result in results] == [
        "duplicate",
        "accepted",
        "ignored",
        "accepted",
    ]
    assert results[0]["job_id"] == results[1]["job_id"] != results[3]["job_id"]
    assert results[2]["job_id"] is None
    assert await count_rows(services.session_factory) == (3, 2)


async def test_fortnox_event_of_another_tenant_stores_nothing(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    batch = [fortnox_event("a"), fortnox_event("b", tenant_id=11)]
    response = await api_client.post(fortnox_url(installation), json=batch, headers=SECRET_HEADERS)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "tenant_mismatch"
    assert await count_rows(services.session_factory) == (0, 0)


# -- refusals: each stores nothing -------------------------------------------------------------


async def _assert_refused(
    response: httpx.Response, status: int, code: str, services: Services
) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await count_rows(services.session_factory) == (0, 0)


@pytest.mark.parametrize("path", ["upsales", "fortnox"])
async def test_unknown_or_malformed_installation_is_not_found(
    api_client: httpx.AsyncClient, services: Services, installation: Installation, path: str
) -> None:
    for key in (str(uuid.uuid4()), "not-a-uuid", "1"):
        response = await api_client.post(
            f"/webhooks/{path}/{key}", json=order_hook(), headers=SECRET_HEADERS
        )
        await _assert_refused(response, 404, "installation_not_found", services)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({**order_hook(), "apiKey": "wrong-key-0123456789"}, {}),
        ({key: value for key, value in order_hook().items() if key != "apiKey"}, {}),
        ({**order_hook(), "apiKey": ""}, {}),
        ({**order_hook(), "apiKey": 12345}, {}),
        ({**order_hook(), "apiKey": API_KEY[:-1]}, {}),
        (TRIGGER, {"X-Webhook-Secret": "whsec_wrong"}),
        (TRIGGER, {"X-Webhook-Secret": ""}),
        # a trigger body with the API key but no header is an app hook without a valid key
        ({**TRIGGER, "apiKey": "nope"}, {}),
        # the header decides: an app hook with a wrong header is refused despite its valid key
        (order_hook(), {"X-Webhook-Secret": "whsec_wrong"}),
    ],
)
async def test_upsales_bad_credentials_are_refused(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    response = await api_client.post(upsales_url(installation), json=body, headers=headers)
    await _assert_refused(response, 401, "invalid_credentials", services)


@pytest.mark.parametrize(
    "headers", [{}, {"X-Webhook-Secret": "whsec_wrong"}, {"X-Webhook-Secret": ""}]
)
async def test_fortnox_bad_credentials_are_refused(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    headers: dict[str, str],
) -> None:
    response = await api_client.post(
        fortnox_url(installation), json=fortnox_event(), headers=headers
    )
    await _assert_refused(response, 401, "invalid_credentials", services)


@pytest.mark.parametrize("secret", [None, ""])
async def test_installation_without_secrets_accepts_nobody(
    api_client: httpx.AsyncClient, services: Services, secret: str | None
) -> None:
    bare = await create_installation(
        services.session_factory, services.secret_box, api_key=secret, webhook_secret=secret
    )
    attempts = [
        await api_client.post(upsales_url(bare), json={**order_hook(), "apiKey": ""}),
        await api_client.post(upsales_url(bare), json=order_hook()),
        await api_client.post(upsales_url(bare), json=TRIGGER, headers={"X-Webhook-Secret": ""}),
        await api_client.post(
            fortnox_url(bare), json=fortnox_event(), headers={"X-Webhook-Secret": ""}
        ),
        await api_client.post(fortnox_url(bare), json=fortnox_event(), headers=SECRET_HEADERS),
    ]
    for response in attempts:
        await _assert_refused(response, 401, "invalid_credentials", services)


async def test_secrets_never_echo_in_errors_or_logs(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = "a-wrong-but-secret-looking-key-987"
    responses = [
        await api_client.post(
            upsales_url(installation), json={**order_hook(), "apiKey": wrong_key}
        ),
        await api_client.post(
            upsales_url(installation), json={**order_hook(), "data": {"object": {"id": "x"}}}
        ),
        await api_client.post(
            fortnox_url(installation), json=fortnox_event(), headers={"X-Webhook-Secret": wrong_key}
        ),
    ]
    assert [response.status_code for response in responses] == [401, 422, 401]
    for text in [response.text for response in responses] + [caplog.text]:
        assert wrong_key not in text and API_KEY not in text and WEBHOOK_SECRET not in text
    assert "invalid or missing credentials" in caplog.text


@pytest.mark.parametrize(
    "raw", [b"{", b"", b'{"type": NaN}', b"\xff", b'{"a": 1}{"b": 2}', b'{"a": 1e400}']
)
@pytest.mark.parametrize("path", ["upsales", "fortnox"])
async def test_malformed_json_is_a_bad_request(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    raw: bytes,
    path: str,
) -> None:
    response = await api_client.post(
        f"/webhooks/{path}/{installation.id}",
        content=raw,
        headers={"Content-Type": "application/json", **SECRET_HEADERS},
    )
    await _assert_refused(response, 400, "malformed_json", services)


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("upsales", {**order_hook(), "data": {"object": {"id": "seven"}}}, {}),
        ("upsales", {**order_hook(), "data": {"object": {"name": "no id"}}}, {}),
        ("upsales", {**order_hook(), "type": ["after_order_update"]}, {}),
        ("upsales", {**order_hook(), "data": {"object": {"id": 7, "note": "a\u0000b"}}}, {}),
        ("upsales", {**order_hook(), "data": {"object": {"id": 2**31}}}, {}),
        ("upsales", {**order_hook(), "data": {"object": {"id": "9" * 30}}}, {}),
        ("upsales", {**TRIGGER, "id": 4.5}, SECRET_HEADERS),
        ("upsales", {**TRIGGER, "entity": "company"}, SECRET_HEADERS),
        ("upsales", ["after_order_update"], SECRET_HEADERS),
        ("fortnox", {**fortnox_event(), "offset": None}, SECRET_HEADERS),
        ("fortnox", {**fortnox_event(), "entityId": ["1"]}, SECRET_HEADERS),
        ("fortnox", [fortnox_event("a"), {**fortnox_event("b"), "topic": 1}], SECRET_HEADERS),
        ("fortnox", [], SECRET_HEADERS),
        ("fortnox", "customers", SECRET_HEADERS),
    ],
)
async def test_wrong_types_and_missing_fields_are_validation_errors(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    path: str,
    body: Any,
    headers: dict[str, str],
) -> None:
    response = await api_client.post(
        f"/webhooks/{path}/{installation.id}", json=body, headers=headers
    )
    await _assert_refused(response, 422, "validation_error", services)


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("upsales", {**order_hook(), "data": {"object": {"id": 7, "note": "a\ud800"}}}, {}),
        ("fortnox", {**fortnox_event(), "type": "\udfff"}, SECRET_HEADERS),
    ],
)
async def test_unpaired_surrogates_are_validation_errors(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    path: str,
    body: Any,
    headers: dict[str, str],
) -> None:
    response = await api_client.post(
        f"/webhooks/{path}/{installation.id}",
        content=json.dumps(body).encode(),  # the surrogate goes as an escape
        headers={"Content-Type": "application/json", **headers},
    )
    await _assert_refused(response, 422, "validation_error", services)


async def test_trigger_for_a_question_event_is_unsupported(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = {"event": "before_order_save", "entity": "order", "id": 1}
    response = await api_client.post(upsales_url(installation), json=body, headers=SECRET_HEADERS)
    await _assert_refused(response, 422, "unsupported_event", services)


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
@pytest.mark.parametrize("path", ["upsales", "fortnox"])
async def test_non_json_content_type_is_refused(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    content_type: str | None,
    path: str,
) -> None:
    headers = {**SECRET_HEADERS, **({"Content-Type": content_type} if content_type else {})}
    response = await api_client.post(
        f"/webhooks/{path}/{installation.id}",
        content=json.dumps(order_hook()).encode(),
        headers=headers,
    )
    await _assert_refused(response, 415, "unsupported_media_type", services)


async def test_json_content_type_with_parameters_is_accepted(
    api_client: httpx.AsyncClient, installation: Installation
) -> None:
    response = await api_client.post(
        upsales_url(installation),
        content=json.dumps(order_hook()).encode(),
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 202


# -- the body-size limit -----------------------------------------------------------------------

LIMIT = 1024


@pytest.fixture
async def small_limit_client(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    limited = build_services(settings.model_copy(update={"webhook_max_body_bytes": LIMIT}), engine)
    transport = httpx.ASGITransport(app=create_app(services=limited))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        yield client


def _padded_hook(size: int) -> bytes:
    """An order hook of exactly ``size`` bytes."""
    base = json.dumps({**order_hook(), "pad": ""}).encode()
    return json.dumps({**order_hook(), "pad": "x" * (size - len(base))}).encode()


async def _chunks(raw: bytes, consumed: list[int]) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), 100):
        consumed.append(start)
        yield raw[start : start + 100]


async def test_body_at_the_limit_is_accepted(
    small_limit_client: httpx.AsyncClient, installation: Installation
) -> None:
    raw = _padded_hook(LIMIT)
    assert len(raw) == LIMIT
    response = await small_limit_client.post(
        upsales_url(installation), content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 202


async def test_body_over_the_limit_with_content_length_is_refused(
    small_limit_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await small_limit_client.post(
        upsales_url(installation),
        content=_padded_hook(LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers["Content-Length"] == str(LIMIT + 1)
    await _assert_refused(response, 413, "payload_too_large", services)


async def test_declared_length_over_the_limit_is_refused_before_reading(
    small_limit_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    consumed: list[int] = []
    response = await small_limit_client.post(
        upsales_url(installation),
        content=_chunks(json.dumps(order_hook()).encode(), consumed),
        headers={"Content-Type": "application/json", "Content-Length": str(LIMIT * 10)},
    )
    await _assert_refused(response, 413, "payload_too_large", services)
    assert consumed == []


async def test_streamed_body_over_the_limit_without_content_length_is_refused(
    small_limit_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    consumed: list[int] = []
    raw = _padded_hook(LIMIT * 5)
    response = await small_limit_client.post(
        upsales_url(installation),
        content=_chunks(raw, consumed),
        headers={"Content-Type": "application/json"},
    )
    assert "Content-Length" not in response.request.headers
    await _assert_refused(response, 413, "payload_too_large", services)
    assert len(consumed) < len(raw) // 100


async def test_streamed_body_within_the_limit_is_accepted(
    small_limit_client: httpx.AsyncClient, installation: Installation
) -> None:
    consumed: list[int] = []
    response = await small_limit_client.post(
        upsales_url(installation),
        content=_chunks(_padded_hook(LIMIT), consumed),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202


async def test_webhooks_are_documented(api_client: httpx.AsyncClient) -> None:
    schema = (await api_client.get("/openapi.json")).json()
    assert "/webhooks/upsales/{installation_id}" in schema["paths"]
    fortnox = schema["paths"]["/webhooks/fortnox/{installation_id}"]["post"]
    assert "application/json" in fortnox["requestBody"]["content"]


async def test_concurrent_deliveries_beyond_the_admission_limit_all_land(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    bodies = [order_hook(order_id) for order_id in range(1, 25)] + [order_hook(1)] * 4
    responses = await asyncio.gather(
        *(api_client.post(upsales_url(installation), json=body) for body in bodies)
    )
    assert {response.status_code for response in responses} == {202}
    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["accepted"] * 24 + ["duplicate"] * 4
    assert await count_rows(services.session_factory) == (24, 24)


async def test_trigger_retries_dedupe_only_with_a_delivery_id(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = upsales_url(installation)
    with_id = {**TRIGGER, "deliveryId": "run-17"}
    first = await api_client.post(url, json=with_id, headers=SECRET_HEADERS)
    again = await api_client.post(url, json=with_id, headers=SECRET_HEADERS)
    assert again.json() == {"status": "duplicate", "job_id": first.json()["job_id"]}
    # without one, identical trigger bodies are distinct changes (the job coalesces them)
    plain = [await api_client.post(url, json=TRIGGER, headers=SECRET_HEADERS) for _ in range(2)]
    assert [response.json()["status"] for response in plain] == ["accepted", "accepted"]
    assert await count_rows(services.session_factory) == (3, 1)


async def test_a_lone_surrogate_escape_is_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = json.dumps(order_hook()).replace('"Consulting"', '"Consulting \\ud800"')
    response = await api_client.post(
        upsales_url(installation), content=body, headers={"Content-Type": "application/json"}
    )
    await _assert_refused(response, 422, "validation_error", services)


async def test_a_rotated_secret_takes_effect_at_once(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = upsales_url(installation)
    assert (await api_client.post(url, json=TRIGGER, headers=SECRET_HEADERS)).status_code == 202
    rotated = "whsec_rotated-secret-0123456789"
    async with services.session_factory() as session:
        stored = await session.get(Installation, installation.id)
        assert stored is not None
        stored.webhook_secret_enc = services.secret_box.encrypt(rotated)
        await session.commit()
    old = await api_client.post(url, json=TRIGGER, headers=SECRET_HEADERS)
    new = await api_client.post(url, json=TRIGGER, headers={"X-Webhook-Secret": rotated})
    assert (old.status_code, new.status_code) == (401, 202)


async def test_a_deleted_installation_is_not_found_at_once(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = upsales_url(installation)
    assert (await api_client.post(url, json=order_hook(1))).status_code == 202
    async with services.session_factory() as session:
        await session.delete(await session.get(Installation, installation.id))
        await session.commit()
    response = await api_client.post(url, json=order_hook(2))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"


async def test_connections_the_database_closed_cost_the_sender_nothing(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    database_url: str,
    backend: str,
) -> None:
    await asyncio.gather(
        *(api_client.post(upsales_url(installation), json=order_hook(n)) for n in range(1, 6))
    )
    if backend == "postgresql":  # SQLite has no server to close them
        await _terminate_other_sessions(database_url)
    responses = [
        await api_client.post(upsales_url(installation), json=order_hook(n)) for n in (10, 11)
    ]
    assert [response.status_code for response in responses] == [202, 202]
    assert await count_rows(services.session_factory) == (7, 7)


async def _terminate_other_sessions(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "declared",
    ["12x", "\u00b2", "-1", " "],
    ids=["letters", "superscript-two", "negative", "blank"],
)
async def test_a_content_length_that_is_no_number_is_a_400(
    small_limit_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    declared: str,
) -> None:
    """A digit only ``str.isdigit()`` takes (``²``) is no number either (a server in front
    may pass it on)."""
    response = await small_limit_client.post(
        upsales_url(installation),
        content=json.dumps(order_hook()).encode(),
        headers={"Content-Type": "application/json", "Content-Length": declared.encode("latin-1")},
    )
    await _assert_refused(response, 400, "bad_request", services)


async def test_a_content_length_of_more_digits_than_int_reads_is_a_413(
    small_limit_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    """ASCII digits only, so it passes the number check, but too many for ``int()``: a length
    past any limit, refused as one (a server in front may pass it on)."""
    response = await small_limit_client.post(
        upsales_url(installation),
        content=json.dumps(order_hook()).encode(),
        headers={"Content-Type": "application/json", "Content-Length": "9" * 4301},
    )
    await _assert_refused(response, 413, "payload_too_large", services)
