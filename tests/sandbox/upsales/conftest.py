"""Fixtures for the Upsales sandbox tests: a fake clock, a recording sleep, a sandbox with a
demo customer, and an in-process HTTP client authenticated with that customer's API key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
    seed_demo_upsales,
)

START = 1_717_243_200.0  # 2024-06-01T12:00:00Z


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Stands in for ``asyncio.sleep``: records the delay, does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def body(response: httpx.Response) -> Any:
    """The response JSON with fractional numbers as ``Decimal``."""
    return json.loads(response.content, parse_float=Decimal)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def sandbox(clock: FakeClock, sleeps: RecordingSleep) -> UpsalesSandbox:
    return create_upsales_sandbox(UpsalesSandboxConfig(clock=clock, sleep=sleeps, fault_seed=7))


@pytest.fixture
def demo(sandbox: UpsalesSandbox) -> DemoUpsalesSeed:
    return seed_demo_upsales(sandbox)


@pytest.fixture
async def raw_client(sandbox: UpsalesSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials; base URL ``/api/v2/``."""
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://upsales.test/api/v2/") as c:
        yield c


@pytest.fixture
async def client(
    sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending the demo customer's API key as ``?token=``."""
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://upsales.test/api/v2/", params={"token": demo.api_key}
    ) as c:
        yield c


@pytest.fixture
async def admin_client(sandbox: UpsalesSandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://upsales.test/_sandbox/"
    ) as c:
        yield c


def order_body(demo: DemoUpsalesSeed, **overrides: Any) -> dict[str, Any]:
    """A valid order create body for the demo customer."""
    base: dict[str, Any] = {
        "description": "Licenser 2024",
        "date": "2024-06-01",
        "user": {"id": demo.sales_rep_user_ids[0]},
        "client": {"id": demo.account_ids[0]},
        "stage": {"id": demo.stage_offer_id},
        "probability": 50,
        "orderRow": [
            {
                "product": {"id": demo.product_ids_by_article_no["LIC-BAS"]},
                "quantity": 1,
                "price": 4900,
                "listPrice": 4900,
            }
        ],
    }
    base.update(overrides)
    return base
