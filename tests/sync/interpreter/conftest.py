"""Fixtures of the interpreter tests: real Upsales and Fortnox clients over respx (no route is
answered unless a test adds it), and the e2e ``harness``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from tests.e2e.harness import harness
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.upsales.client import UpsalesClient

UPSALES = "https://upsales.interpreter.test/api/v2"
FORTNOX = "https://api.fortnox.interpreter.test/3"

__all__ = ["FORTNOX", "UPSALES", "harness"]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Every request must match a route the test adds (respx refuses the others)."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def upsales(http: httpx.AsyncClient) -> UpsalesClient:
    return UpsalesClient(http, base_url=UPSALES, api_token="interpreter-token")


@pytest.fixture
def fortnox(http: httpx.AsyncClient) -> FortnoxClient:
    async def token() -> str:
        return "access"

    async def refresh(_: str) -> str:
        return "access"

    return FortnoxClient(
        http,
        base_url=FORTNOX,
        tenant_key="tenant:interpreter",
        access_token=token,
        refresh_token=refresh,
        limiter=SlidingWindowLimiter(request_rules.RATE_LIMIT, request_rules.RATE_WINDOW_SECONDS),
    )
