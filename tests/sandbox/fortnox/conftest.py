"""Fixtures for the Fortnox sandbox tests: a sandbox on a manual clock and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.fortnox.helpers import client_for
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    ManualClock,
    RateLimit,
    TokenPair,
    create_fortnox_sandbox,
)

GENEROUS_LIMIT = RateLimit(requests=100_000, window_seconds=5.0)
"""Tests that are not about the rate limit make many calls at one instant of the manual clock."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_700_000_000.0)  # 2023-11-14 23:13:20 in Stockholm


@pytest.fixture
def make_sandbox(clock: ManualClock) -> Callable[..., FortnoxSandbox]:
    def make(**overrides: Any) -> FortnoxSandbox:
        settings: dict[str, Any] = {"clock": clock, "rate_limit": GENEROUS_LIMIT}
        settings.update(overrides)
        return create_fortnox_sandbox(FortnoxSandboxConfig(**settings))

    return make


@pytest.fixture
def sandbox(make_sandbox: Callable[..., FortnoxSandbox]) -> FortnoxSandbox:
    return make_sandbox()


@pytest.fixture
def tenant_id(sandbox: FortnoxSandbox) -> int:
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    return tenant_id


@pytest.fixture
def tokens(sandbox: FortnoxSandbox, tenant_id: int) -> TokenPair:
    return sandbox.issue_tokens(tenant_id)


@pytest.fixture
async def api(sandbox: FortnoxSandbox, tokens: TokenPair) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client of the default tenant."""
    async with client_for(sandbox, tokens.access_token) as client:
        yield client


@pytest.fixture
async def anonymous(sandbox: FortnoxSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a token (OAuth endpoints, admin API, auth failures)."""
    async with client_for(sandbox) as client:
        yield client
