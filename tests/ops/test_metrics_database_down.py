"""While the database is out of reach, ``/metrics`` still serves what the process counted (the
webhooks it refused, the API calls, the jobs) and says the database is down: the scrape
failed as a whole (503 on the API's port, 500 on ``METRICS_PORT``), so the outage looked like
the process gone, and its counters were lost exactly when they tell what happens."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from tests.conftest import ADMIN_TOKEN
from tests.ops.metrics_support import parse_samples, value
from upsales_fortnox.core.config import Settings
from upsales_fortnox.main import create_app
from upsales_fortnox.ops.metrics_http import metrics_app
from upsales_fortnox.services import Services, build_services

UP = "upsales_fortnox_database_up"


async def _get(app: Any, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        return await client.get("/metrics", headers=headers)


async def test_metrics_are_served_while_the_database_is_down() -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:9/unreachable",
        admin_token=SecretStr(ADMIN_TOKEN),
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for port in (None, 9464):
        services = build_services(settings.model_copy(update={"metrics_port": port}))
        try:
            app = create_app(services=services) if port is None else metrics_app(services)
            response = await _get(app, headers)
        finally:
            await services.aclose()
        assert response.status_code == 200, response.text
        samples = parse_samples(response.text)
        assert value(samples, UP) == 0
        assert "upsales_fortnox_webhooks_total" in response.text
        assert "upsales_fortnox_queue_depth" not in response.text


async def test_the_database_is_up_beside_its_figures(
    services: Services, admin_headers: dict[str, str]
) -> None:
    response = await _get(create_app(services=services), admin_headers)
    assert response.status_code == 200, response.text
    samples = parse_samples(response.text)
    assert value(samples, UP) == 1
    assert "upsales_fortnox_queue_depth" in response.text


async def test_a_database_refusing_connections_is_503_on_every_route_not_500() -> None:
    """On PostgreSQL a refused connection reaches the routes as the driver's bare
    ``ConnectionRefusedError``: every operator route answered 500 ``internal_error``."""
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:9/unreachable",
        admin_token=SecretStr(ADMIN_TOKEN),
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    services = build_services(settings)
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = [
                await client.get("/api/installations", headers=headers),
                await client.get("/api/jobs", headers=headers),
                await client.post("/api/installations", json={"name": "A"}, headers=headers),
            ]
    finally:
        await services.aclose()
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "database_unavailable"
        assert response.headers["Retry-After"].isdigit()
