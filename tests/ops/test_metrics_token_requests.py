"""Requests to Fortnox's login service (the code exchange, every token refresh) are counted as
``system="fortnox_auth"``: a refresh Fortnox refuses, or cannot answer, shows in the metrics as
API calls do, not only later as an installation needing a login."""

from __future__ import annotations

import socket

import httpx
import pytest
import respx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.ops.metrics_support import parse_samples, value
from upsales_fortnox.core.config import Settings
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxRateLimited,
    FortnoxRefreshRejected,
    FortnoxUnavailable,
)
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth
from upsales_fortnox.main import create_app
from upsales_fortnox.services import Services, build_services

REQUESTS = "upsales_fortnox_api_requests_total"
AUTH_BASE = "https://apps.fortnox.example.test/oauth-v1"


async def _count(services: Services, headers: dict[str, str], status: str) -> float:
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return value(parse_samples(response.text), REQUESTS, system="fortnox_auth", status=status)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_each_token_request_is_counted_by_its_answer(
    settings: Settings, engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    services = build_services(
        settings.model_copy(update={"fortnox_auth_base_url": AUTH_BASE}), engine=engine
    )
    try:
        before = {s: await _count(services, admin_headers, s) for s in ("200", "400")}
        with respx.mock(assert_all_called=True) as router:
            router.post(f"{AUTH_BASE}/token").mock(
                side_effect=[
                    httpx.Response(
                        200,
                        json={
                            "access_token": "new-access",
                            "refresh_token": "new-refresh",
                            "expires_in": 3600,
                            "token_type": "bearer",
                        },
                    ),
                    httpx.Response(400, json={"error": "invalid_grant"}),
                ]
            )
            await services.fortnox_oauth.refresh("old-refresh")
            with pytest.raises(FortnoxRefreshRejected):
                await services.fortnox_oauth.refresh("dead-refresh")
        assert await _count(services, admin_headers, "200") - before["200"] == 1
        assert await _count(services, admin_headers, "400") - before["400"] == 1
    finally:
        await services.aclose()


async def test_a_token_request_without_an_answer_is_counted(
    settings: Settings, engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    unreachable = f"http://127.0.0.1:{_closed_port()}/oauth-v1"
    services = build_services(
        settings.model_copy(update={"fortnox_auth_base_url": unreachable}), engine=engine
    )
    try:
        before = await _count(services, admin_headers, "network_error")
        with pytest.raises(FortnoxUnavailable):
            await services.fortnox_oauth.refresh("some-refresh")
        assert await _count(services, admin_headers, "network_error") - before == 1
    finally:
        await services.aclose()


async def test_a_rate_limited_token_request_is_counted_every_time() -> None:
    """A 429 from the login service is counted before it becomes a rate-limit error, whichever
    client makes the request (the count does not hang on the order authlib runs its hooks in)."""
    answers: list[int | None] = []
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{AUTH_BASE}/token").mock(
            return_value=httpx.Response(429, json={"message": "slow down"})
        )
        for _ in range(20):
            oauth = FortnoxOAuth(
                client_id="client",
                client_secret="secret",
                auth_base_url=AUTH_BASE,
                on_answer=answers.append,
            )
            with pytest.raises(FortnoxRateLimited):
                await oauth.refresh("some-refresh")
    assert answers == [429] * 20
