"""The hook type: from the body's ``type`` or from the hook URL (one URL per type)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.intake.support import (
    API_KEY,
    WEBHOOK_SECRET,
    all_events,
    all_jobs,
    count_rows,
    create_installation,
    order_hook,
)
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


def typed_url(installation: Installation, hook_type: str) -> str:
    return f"/webhooks/upsales/{installation.id}/{hook_type}"


def untyped(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "type"}


async def _assert_refused(
    response: httpx.Response, code: str, services: Services
) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert await count_rows(services.session_factory) == (0, 0)
    return error


async def test_type_from_the_url_alone_queues_the_sync_and_is_stored_with_the_event(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(
        typed_url(installation, "after_client_update"),
        json={"apiKey": API_KEY, "data": {"object": {"id": 5, "name": "Acme AB"}}},
    )
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (event,) = await all_events(services.session_factory)
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.company", "5")
    assert event.payload["type"] == "after_client_update"
    assert "apiKey" not in event.payload


async def test_type_in_body_and_url_that_agree_is_accepted(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(
        typed_url(installation, "after_order_update"), json=order_hook(7)
    )
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.order", "7")


async def test_identical_bodies_at_two_type_urls_are_two_events(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = untyped(order_hook(7))
    insert = await api_client.post(typed_url(installation, "after_order_insert"), json=body)
    update = await api_client.post(typed_url(installation, "after_order_update"), json=body)
    assert insert.json()["status"] == update.json()["status"] == "accepted"
    assert [e.payload["type"] for e in await all_events(services.session_factory)] == [
        "after_order_insert",
        "after_order_update",
    ]


async def test_body_and_url_that_disagree_are_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(
        typed_url(installation, "after_order_insert"), json=order_hook(7)
    )
    error = await _assert_refused(response, "hook_type_conflict", services)
    assert "after_order_insert" in error["message"] and "after_order_update" in error["message"]


async def test_a_hook_with_no_type_anywhere_is_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(
        f"/webhooks/upsales/{installation.id}", json=untyped(order_hook(7))
    )
    await _assert_refused(response, "hook_type_missing", services)


@pytest.mark.parametrize(
    ("url_type", "body_type"),
    [(None, "order_saved"), ("order_saved", None), ("order_saved", "order_saved")],
)
async def test_a_type_known_neither_in_body_nor_url_is_refused(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    url_type: str | None,
    body_type: str | None,
) -> None:
    body = untyped(order_hook(7))
    if body_type is not None:
        body["type"] = body_type
    url = (
        typed_url(installation, url_type)
        if url_type is not None
        else f"/webhooks/upsales/{installation.id}"
    )
    error = await _assert_refused(
        await api_client.post(url, json=body), "unsupported_event", services
    )
    assert "order_saved" in error["message"]


async def test_a_url_type_too_long_is_a_validation_error(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    response = await api_client.post(typed_url(installation, "a" * 61), json=untyped(order_hook()))
    await _assert_refused(response, "validation_error", services)


async def test_synchronous_hook_named_by_the_url_is_answered(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    body = {"apiKey": API_KEY, "data": {"obj": {"id": 1, "probability": 50}}}
    response = await api_client.post(typed_url(installation, "before_order_save"), json=body)
    assert response.status_code == 200
    assert await count_rows(services.session_factory) == (0, 0)


@pytest.mark.parametrize(
    "order_id", ["9" * 5000, "\u00b2", "0"], ids=["5000-digits", "superscript-two", "zero"]
)
async def test_app_status_order_for_a_text_id_that_is_no_order_is_a_400(
    api_client: httpx.AsyncClient, services: Services, installation: Installation, order_id: str
) -> None:
    """Text of more digits than int() reads, a digit only str.isdigit() takes, or zero."""
    body = {"apiKey": API_KEY, "data": {"obj": {"id": order_id}}}
    response = await api_client.post(typed_url(installation, "app_status_order"), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert await count_rows(services.session_factory) == (0, 0)


async def test_trigger_at_a_type_url_takes_the_event_from_it(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    headers = {"X-Webhook-Secret": WEBHOOK_SECRET}
    response = await api_client.post(
        typed_url(installation, "after_order_update"),
        json={"entity": "order", "id": 42},
        headers=headers,
    )
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.order", "42")
    conflict = await api_client.post(
        typed_url(installation, "after_client_update"),
        json={"event": "after_order_update", "entity": "order", "id": 43},
        headers=headers,
    )
    assert conflict.status_code == 422
    assert conflict.json()["error"]["code"] == "hook_type_conflict"
    assert await count_rows(services.session_factory) == (1, 1)


@pytest.mark.parametrize(
    "data",
    [{}, {"object": None}, {"object": 7}, {"object": {"id": "seven"}}, {"object": {"id": 0}}],
)
async def test_a_delete_hook_at_its_url_that_names_no_order_is_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation, data: Any
) -> None:
    """The delete's hook at the URL the app configuration registers for it: a body whose order
    is missing or no id is a 422 with its code, nothing stored; as it should be, it is queued."""
    url = typed_url(installation, "after_order_delete")
    refused = await api_client.post(url, json={"apiKey": API_KEY, "data": data})
    await _assert_refused(refused, "validation_error", services)

    taken = await api_client.post(url, json=untyped(order_hook(7)))
    assert taken.status_code == 202 and taken.json()["status"] == "accepted"
    (job,) = await all_jobs(services.session_factory)
    assert (job.kind, job.entity_id) == ("upsales.order", "7")
