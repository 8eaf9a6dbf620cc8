"""Fixtures of the Upsales client tests: a fake clock whose sleeps only move time forward."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx
from upsales_fakes import BASE_URL, TOKEN, FakeTime

from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.request_rules import (
    RATE_LIMIT,
    RATE_WINDOW_SECONDS,
    RETRY,
)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def upsales_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def make_client(http: httpx.AsyncClient, fake_time: FakeTime) -> Callable[..., UpsalesClient]:
    """Client on the fake clock, with jitter fixed at 0 so delays are predictable (also for a
    ``retry`` policy given as an override)."""

    def factory(**overrides: Any) -> UpsalesClient:
        retry = overrides.pop("retry", RETRY)
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "api_token": TOKEN,
            "limiter": SlidingWindowLimiter(
                RATE_LIMIT, RATE_WINDOW_SECONDS, clock=fake_time.clock, sleep=fake_time.sleep
            ),
            "retry": replace(
                retry, clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 0.0
            ),
        }
        options.update(overrides)
        return UpsalesClient(http, **options)

    return factory


@pytest.fixture
def client(make_client: Callable[..., UpsalesClient]) -> UpsalesClient:
    return make_client()
