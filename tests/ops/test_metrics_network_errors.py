"""A request to Fortnox or Upsales that gets no answer at all (refused, unreachable, timed
out) is counted too: the requests metric counted answers only, so an API out of reach showed
as no requests, not as failures."""

from __future__ import annotations

import socket

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.ops.metrics_support import parse_samples, value
from upsales_fortnox.core.config import Settings
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services

REQUESTS = "upsales_fortnox_api_requests_total"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _scrape(
    app: object, headers: dict[str, str]
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return parse_samples(response.text)


@pytest.mark.parametrize("system", ["fortnox", "upsales"])
async def test_a_request_without_an_answer_is_counted_by_system(
    settings: Settings, engine: AsyncEngine, admin_headers: dict[str, str], system: str
) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    others = f"http://127.0.0.1:{_closed_port()}"  # the other API, on another port
    fortnox, upsales = (base, others) if system == "fortnox" else (others, base)
    built = build_services(
        settings.model_copy(
            update={
                "fortnox_api_base_url": f"{fortnox}/3",
                "upsales_api_base_url": f"{upsales}/api/v2",
            }
        ),
        engine=engine,
    )
    app = create_app(services=built)
    try:
        before = await _scrape(app, admin_headers)
        path = "/3/customers" if system == "fortnox" else "/api/v2/self"
        with pytest.raises(httpx.ConnectError):
            await built.http.get(f"{base}{path}")
        after = await _scrape(app, admin_headers)
    finally:
        await built.http.aclose()
        await built.fortnox_limiters.aclose()
    failed = value(after, REQUESTS, system=system, status="network_error")
    assert failed - value(before, REQUESTS, system=system, status="network_error") == 1
