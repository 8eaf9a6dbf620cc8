"""Back-pressure of the webhook intake: beyond ``WEBHOOK_MAX_IN_FLIGHT`` requests in flight a
hook is refused at once (503 ``overloaded`` with ``Retry-After``, nothing stored); what is taken is
committed. No timing is asserted: requests are held in flight by bodies that have not finished
arriving, and the load test counts outcomes only."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import ADMIN_TOKEN
from tests.database import create_schema
from tests.intake.support import API_KEY, count_rows, create_installation, order_hook
from tests.serving import served
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.upsales.facts import HOOK_REFUSAL_TEXT_FIELDS
from upsales_fortnox.main import create_app
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.sync.app_hook_answers import field_sync_answer

LIMIT = 3


@pytest.fixture
def limited_services(settings: Settings, services: Services) -> Services:
    return build_services(
        settings.model_copy(update={"webhook_max_in_flight": LIMIT}), services.engine
    )


@pytest.fixture
async def limited_client(limited_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services=limited_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        yield client


async def _held_body(raw: bytes, release: asyncio.Event) -> AsyncIterator[bytes]:
    yield raw[:10]
    await release.wait()
    yield raw[10:]


async def _until(condition: object) -> None:
    for _ in range(10_000):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_beyond_the_limit_a_hook_is_refused_at_once_and_stores_nothing(
    limited_client: httpx.AsyncClient, limited_services: Services
) -> None:
    services = limited_services
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/upsales/{installation.id}"
    headers = {"Content-Type": "application/json"}
    release = asyncio.Event()
    held = [
        asyncio.create_task(
            limited_client.post(
                url,
                content=_held_body(json.dumps(order_hook(n)).encode(), release),
                headers=headers,
            )
        )
        for n in range(1, LIMIT + 1)
    ]
    await _until(lambda: services.intake_admission.in_flight == LIMIT)
    refused = await limited_client.post(url, json=order_hook(99))
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "overloaded"
    assert int(refused.headers["Retry-After"]) > 0
    assert await count_rows(services.session_factory) == (0, 0)

    release.set()
    assert [(await task).status_code for task in held] == [202] * LIMIT
    assert services.intake_admission.in_flight == 0
    again = await limited_client.post(url, json=order_hook(99))
    assert again.status_code == 202
    assert await count_rows(services.session_factory) == (LIMIT + 1, LIMIT + 1)


async def _held_in_flight(
    client: httpx.AsyncClient, services: Services, url: str, release: asyncio.Event
) -> list[asyncio.Task[httpx.Response]]:
    """``LIMIT`` hooks held in flight by bodies that have not finished arriving."""
    held = [
        asyncio.create_task(
            client.post(
                url,
                content=_held_body(json.dumps(order_hook(n)).encode(), release),
                headers={"Content-Type": "application/json"},
            )
        )
        for n in range(1, LIMIT + 1)
    ]
    await _until(lambda: services.intake_admission.in_flight == LIMIT)
    return held


async def test_beyond_the_limit_a_hook_upsales_waits_on_is_answered_for_its_user(
    limited_client: httpx.AsyncClient, limited_services: Services
) -> None:
    """At a URL that names the hook (as Upsales' app template routes them), a refused hook that
    a sales rep waits on gets the text the rep may read, and one that must get an answer, not
    a refusal (reference upsales.md §7), the answer it gets without the database."""
    services = limited_services
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/upsales/{installation.id}"
    release = asyncio.Event()
    held = await _held_in_flight(limited_client, services, url, release)
    waited_on = {"apiKey": API_KEY, "data": {"obj": {"id": 1, "probability": 100}}}
    saving = await limited_client.post(f"{url}/before_order_save", json=waited_on)
    field_sync = await limited_client.post(f"{url}/show_field_sync", json=waited_on)
    release.set()
    await asyncio.gather(*held)

    assert saving.status_code == 503, saving.text
    assert int(saving.headers["Retry-After"]) > 0
    assert saving.json()["code"] == "overloaded"
    for field in HOOK_REFUSAL_TEXT_FIELDS:
        assert saving.json()[field] == say("hook.unavailable", "sv")
    assert field_sync.status_code == 200, field_sync.text
    assert field_sync.json() == field_sync_answer()
    assert services.intake_admission.refused == 2


async def test_the_limit_is_declared_in_the_document(limited_client: httpx.AsyncClient) -> None:
    paths = (await limited_client.get("/openapi.json")).json()["paths"]
    for path in (
        "/webhooks/upsales/{installation_id}",
        "/webhooks/upsales/{installation_id}/{hook_type}",
        "/webhooks/fortnox/{installation_id}",
    ):
        answer = paths[path]["post"]["responses"]["503"]
        assert "Retry-After" in answer["headers"] and "overloaded" in answer["description"]


# -- a bounded flood over real connections ------------------------------------------------------

FLOOD_LIMIT = 4
FLOOD_CLIENTS = 64
FLOOD_HOOKS = 320


@pytest.fixture
def flood_target(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    database = tmp_path / "flood.sqlite3"
    url = f"sqlite:///{database}"
    app_settings = Settings(
        database_url=url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
        webhook_max_in_flight=FLOOD_LIMIT,
    )

    async def prepare() -> str:
        await create_schema(url)
        services = build_services(app_settings)
        try:
            installation = await create_installation(services.session_factory, services.secret_box)
        finally:
            await services.aclose()
        return str(installation.id)

    installation_id = asyncio.run(prepare())
    with served(create_app(app_settings)) as origin:
        yield origin, database, installation_id


def test_a_flood_meets_refusals_and_what_is_taken_is_committed(
    flood_target: tuple[str, Path, str],
) -> None:
    origin, database, installation_id = flood_target

    async def flood() -> list[tuple[int, int, str | None]]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for order_id in range(1, FLOOD_HOOKS + 1):
            queue.put_nowait(order_id)
        outcomes: list[tuple[int, int, str | None]] = []
        limits = httpx.Limits(max_connections=FLOOD_CLIENTS)
        async with httpx.AsyncClient(base_url=origin, limits=limits, timeout=60) as client:

            async def sender() -> None:
                while not queue.empty():
                    order_id = queue.get_nowait()
                    response = await client.post(
                        f"/webhooks/upsales/{installation_id}", json=order_hook(order_id)
                    )
                    code = response.json().get("error", {}).get("code")
                    outcomes.append((order_id, response.status_code, code))

            await asyncio.gather(*(sender() for _ in range(FLOOD_CLIENTS)))
        return outcomes

    outcomes = asyncio.run(flood())
    accepted = {order_id for order_id, status, _ in outcomes if status == 202}
    refused = [(status, code) for _, status, code in outcomes if status != 202]
    assert len(outcomes) == FLOOD_HOOKS
    assert set(refused) <= {(503, "overloaded")}
    assert refused, "a flood of 64 connections against a limit of 4 met no refusal"
    assert accepted
    with sqlite3.connect(database) as connection:
        stored = {int(row[0]) for row in connection.execute("SELECT entity_id FROM sync_jobs")}
        events = connection.execute("SELECT count(*) FROM inbound_events").fetchone()[0]
    assert stored == accepted and events == len(accepted)


def test_a_chunked_body_over_the_size_limit_is_refused_over_http(
    flood_target: tuple[str, Path, str],
) -> None:
    """Over a real connection, with ``Transfer-Encoding: chunked`` and no ``Content-Length``."""
    origin, database, installation_id = flood_target
    limit = Settings().webhook_max_body_bytes
    raw = json.dumps(order_hook(5, notes="x" * (limit + 1))).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(raw), 65_536):
            yield raw[start : start + 65_536]

    response = httpx.post(
        f"{origin}/webhooks/upsales/{installation_id}",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.request.headers.get("transfer-encoding") == "chunked"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM inbound_events").fetchone()[0] == 0
    small = json.dumps(order_hook(6)).encode()
    accepted = httpx.post(
        f"{origin}/webhooks/upsales/{installation_id}",
        content=iter([small[:20], small[20:]]),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert accepted.status_code == 202


# -- a body that stops arriving -----------------------------------------------------------------


def _stalled_hook(origin: str, installation_id: str) -> socket.socket:
    """A connection that sends a hook's headers and the start of its body, then nothing more
    (a sender whose connection died half-way without a word, or one that means harm)."""
    host, port = origin.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=30)
    connection.sendall(
        f"POST /webhooks/upsales/{installation_id} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n".encode()
        + b'{"type": "after_order_update", '
    )
    return connection


def _answer(connection: socket.socket) -> tuple[int, str]:
    """The status and the error code of the answer on ``connection`` (read until it closes)."""
    received = b""
    while chunk := connection.recv(65_536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]["code"]


async def test_a_body_that_stops_arriving_is_refused_and_frees_its_place(
    settings: Settings, services: Services
) -> None:
    """Requests whose bodies stop arriving do not keep the intake's places for ever: each is
    refused (408 ``request_timeout``) once ``WEBHOOK_BODY_SECONDS`` have passed, and hooks are
    taken again."""
    installation = await create_installation(services.session_factory, services.secret_box)
    app_settings = settings.model_copy(
        update={"webhook_max_in_flight": LIMIT, "webhook_body_seconds": 0.5}
    )
    with served(create_app(app_settings)) as origin:
        stalled = [_stalled_hook(origin, str(installation.id)) for _ in range(LIMIT)]
        try:
            answers = [_answer(connection) for connection in stalled]
        finally:
            for connection in stalled:
                connection.close()
        async with httpx.AsyncClient(base_url=origin, timeout=30) as client:
            taken = await client.post(f"/webhooks/upsales/{installation.id}", json=order_hook(5))
    assert answers == [(408, "request_timeout")] * LIMIT
    assert taken.status_code == 202, taken.text


async def test_one_installations_flood_leaves_places_for_the_others_hooks(
    settings: Settings, services: Services
) -> None:
    """An installation whose hooks come by the thousand takes the intake's places but a tenth:
    another installation's one hook is taken meanwhile, not refused until the flood drains."""
    limit = 10
    flooded = build_services(
        settings.model_copy(update={"webhook_max_in_flight": limit}), services.engine
    )
    transport = httpx.ASGITransport(app=create_app(services=flooded))
    busy = await create_installation(flooded.session_factory, flooded.secret_box)
    quiet = await create_installation(
        flooded.session_factory, flooded.secret_box, api_key="quiet-key-0123456789", tenant_id="77"
    )
    release = asyncio.Event()
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        flood = [
            asyncio.create_task(
                client.post(
                    f"/webhooks/upsales/{busy.id}",
                    content=_held_body(json.dumps(order_hook(n)).encode(), release),
                    headers={"Content-Type": "application/json"},
                )
            )
            for n in range(1, limit + 1)
        ]
        admission = flooded.intake_admission
        await _until(lambda: admission.in_flight + sum(task.done() for task in flood) == limit)

        answer = await client.post(
            f"/webhooks/upsales/{quiet.id}", json=order_hook(5, apiKey="quiet-key-0123456789")
        )
        assert answer.status_code == 202, answer.text

        release.set()
        statuses = sorted([(await task).status_code for task in flood])
    assert statuses == [202] * (limit - 1) + [503]
    assert admission.in_flight == 0
