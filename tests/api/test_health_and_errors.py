"""Probes, and the one JSON error shape for errors FastAPI raises itself."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from upsales_fortnox.core.config import Settings
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services


async def test_healthz_and_readyz(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/healthz")).json() == {"status": "ok"}
    assert (await api_client.get("/readyz")).json() == {"status": "ok"}


@asynccontextmanager
async def _client_of_an_unreachable_database() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:9/unreachable")
    app = create_app(services=build_services(settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        yield client


async def test_readyz_reports_an_unreachable_database() -> None:
    async with _client_of_an_unreachable_database() as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "database_unavailable", "message": "the database is not reachable"}
    }


async def test_the_upsales_health_poll_gets_the_apps_name(api_client: httpx.AsyncClient) -> None:
    """Upsales polls an app's ``GET /health`` every minute and expects the app's name, as its
    app template answers it (a JSON string); a service whose database is out of reach is not
    healthy to it."""
    response = await api_client.get("/health")
    assert (response.status_code, response.json()) == (200, "upsales-fortnox-sync")
    async with _client_of_an_unreachable_database() as client:
        down = await client.get("/health")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "database_unavailable"


async def test_the_upsales_health_poll_answers_head_as_get(api_client: httpx.AsyncClient) -> None:
    """Upsales' app template serves ``/health`` with an Express GET route, which answers HEAD
    too: a poll by HEAD gets GET's status and headers, without the body, as the other probes."""
    got = await api_client.get("/health")
    head = await api_client.head("/health")
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""
    async with _client_of_an_unreachable_database() as client:
        down = await client.head("/health")
    assert down.status_code == 503
    assert down.headers["Retry-After"]
    assert down.content == b""


async def test_the_app_choices_of_an_unreachable_database_are_a_503() -> None:
    """Upsales' config page asks for the price-list choices as a hook is sent: a database out of
    reach answers as the hooks do (503 with ``Retry-After``), not as an unexpected error."""
    path = f"/webhooks/upsales/{uuid.uuid4()}/choices/price-lists"
    async with _client_of_an_unreachable_database() as client:
        for response in (
            await client.get(path, params={"apiKey": "upsales-key-0123456789"}),
            await client.post(path, json={"apiKey": "upsales-key-0123456789"}),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
            assert response.headers["Retry-After"]


async def test_unknown_path_and_wrong_method_are_json(api_client: httpx.AsyncClient) -> None:
    missing = await api_client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await api_client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_openapi_is_served(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/docs")).status_code == 200
    schema = (await api_client.get("/openapi.json")).json()
    assert "/readyz" in schema["paths"]


async def test_probes_answer_head_like_get_without_a_body(api_client: httpx.AsyncClient) -> None:
    """Load balancers and uptime checkers probe with HEAD: the same status and headers as GET,
    and no body."""
    for path in ("/healthz", "/readyz"):
        got = await api_client.get(path)
        head = await api_client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.content == b"", path


async def test_readyz_answers_head_with_503_when_the_database_is_unreachable() -> None:
    async with _client_of_an_unreachable_database() as client:
        assert (await client.head("/healthz")).status_code == 200
        response = await client.head("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.content == b""


async def test_a_wrong_method_on_a_probe_names_head_as_allowed(
    api_client: httpx.AsyncClient,
) -> None:
    response = await api_client.delete("/readyz")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
