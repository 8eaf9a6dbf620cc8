"""Fixtures of the Upsales client tests: a fake clock whose sleeps only move time forward."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import respx

from upsales_fortnox.upsales.client import UpsalesClient
from upsales_fortnox.upsales.pacing import RateLimiter
from upsales_fortnox.upsales.retry import RetryPolicy

BASE_URL = "https://upsales.test/api/v2"
TOKEN = "tok-5ecret-0a1b2c3d4e"


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def upsales_api() -> respx.MockRouter:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def make_client(http: httpx.AsyncClient, fake_time: FakeTime) -> Callable[..., UpsalesClient]:
    """Client on the fake clock, with jitter fixed at 0 so delays are predictable."""

    def factory(**overrides: Any) -> UpsalesClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "api_token": TOKEN,
            "limiter": RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep),
            "retry": RetryPolicy(),
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "jitter": lambda: 0.0,
        }
        options.update(overrides)
        return UpsalesClient(http, **options)

    return factory


@pytest.fixture
def client(make_client: Callable[..., UpsalesClient]) -> UpsalesClient:
    return make_client()


def envelope(data: Any, **metadata: int) -> dict[str, Any]:
    """An Upsales success body; list bodies get ``metadata`` when given."""
    body: dict[str, Any] = {"error": None, "data": data}
    if metadata:
        body["metadata"] = metadata
    return body
