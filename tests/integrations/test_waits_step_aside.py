"""The waits on the outside world that a job steps aside for (``waiting_outside``): a request's
wait for its place in a rate budget (in the process and in the shared budget), its round trip
to Fortnox or Upsales, and the sleep before a retry. Nothing else steps aside: a request whose
place is free goes at once without."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
import respx

from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.shared_pacing import SharedPacer
from upsales_fortnox.integrations.step_aside import stepping_aside_with, waiting_outside
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.request_rules import RETRY as UPSALES_RETRY

FORTNOX = "https://api.fortnox.test/3"
UPSALES = "https://upsales.test/api/v2"
SAFETY_TIMEOUT = 5


class Asides:
    """A job's way of stepping aside that counts: how many waits stepped aside, and how many
    are stepped aside now."""

    def __init__(self) -> None:
        self.taken = 0
        self.now = 0

    @asynccontextmanager
    async def step(self) -> AsyncIterator[None]:
        self.taken += 1
        self.now += 1
        try:
            yield
        finally:
            self.now -= 1


@pytest.fixture
def asides() -> Iterator[Asides]:
    asides = Asides()
    with stepping_aside_with(asides.step):
        yield asides


class Exchange:
    """An API that answers its first request 503 and the next ``ok``, and a retry sleep: both
    note whether the job had stepped aside at that moment."""

    def __init__(self, asides: Asides, busy: object, ok: object) -> None:
        self.asides = asides
        self.busy = busy
        self.ok = ok
        self.seen: list[str] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"sent aside={self.asides.now}")
        if len(self.seen) == 1:
            return httpx.Response(503, json=self.busy)
        return httpx.Response(200, json=self.ok)

    async def sleep(self, seconds: float) -> None:
        self.seen.append(f"slept aside={self.asides.now}")


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def _retry(sleep: Callable[[float], Awaitable[None]]) -> RetryPolicy:
    return RetryPolicy(max_elapsed_seconds=60.0, sleep=sleep, jitter=lambda: 0.0)


async def test_outside_a_job_nothing_steps_aside() -> None:
    async with waiting_outside():
        pass  # no way set: a plain wait


async def test_a_request_waits_for_its_place_stepped_aside_and_takes_a_free_one_at_once(
    asides: Asides,
) -> None:
    limiter = SlidingWindowLimiter(1, 5.0)
    async with limiter.slot():
        assert asides.taken == 0  # a free place: no wait, no step aside
        waiting = asyncio.create_task(limiter.acquire())
        await _settle()
        assert not waiting.done() and asides.now == 1
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    assert asides.now == 0


async def test_a_wait_for_the_shared_budget_steps_aside(asides: Asides) -> None:
    seen: list[int] = []

    class Budget:
        async def take(self, tenant_key: str) -> int:
            seen.append(asides.now)
            return 1

        async def finish(self, grant: int) -> None:
            seen.append(asides.now)

        async def aclose(self) -> None:
            return None

    pacer = SharedPacer(SlidingWindowLimiter(5, 5.0), Budget(), "tenant:1")
    async with pacer.slot():
        seen.append(asides.now)
    assert seen == [1, 0, 0]  # aside while asking the budget only


async def test_the_sleep_before_a_retry_steps_aside(asides: Asides) -> None:
    seen: list[int] = []

    async def sleep(seconds: float) -> None:
        seen.append(asides.now)

    await _retry(sleep).wait(0.5)
    with pytest.raises(RuntimeError):
        await replace(_retry(sleep), max_attempts=1).back_off(RuntimeError("x"), 1, 0.0)
    assert seen == [1]


@respx.mock(assert_all_called=True)
async def test_a_fortnox_round_trip_and_its_retry_sleep_step_aside(
    asides: Asides, respx_mock: respx.MockRouter
) -> None:
    exchange = Exchange(
        asides,
        {"ErrorInformation": {"message": "busy"}},
        {"Customer": {"CustomerNumber": "1", "Name": "Ab"}},
    )
    respx_mock.get(f"{FORTNOX}/customers/1").mock(side_effect=exchange.answer)

    async def token() -> str:
        return "token"

    async with httpx.AsyncClient() as http:
        client = FortnoxClient(
            http,
            base_url=FORTNOX,
            tenant_key="tenant:1",
            access_token=token,
            refresh_token=lambda rejected: token(),
            limiter=SlidingWindowLimiter(25, 5.0),
            retry=_retry(exchange.sleep),
        )
        await client.get_customer("1")
    assert exchange.seen == ["sent aside=1", "slept aside=1", "sent aside=1"]
    assert asides.now == 0


@respx.mock(assert_all_called=True)
async def test_an_upsales_round_trip_and_its_retry_sleep_step_aside(
    asides: Asides, respx_mock: respx.MockRouter
) -> None:
    exchange = Exchange(asides, {"error": "busy"}, {"data": {"id": 7, "name": "Acme AB"}})
    respx_mock.get(f"{UPSALES}/accounts/7").mock(side_effect=exchange.answer)
    async with httpx.AsyncClient() as http:
        client = UpsalesClient(
            http,
            base_url=UPSALES,
            api_token="tok-0123456789",
            limiter=SlidingWindowLimiter(200, 10.0),
            retry=replace(UPSALES_RETRY, sleep=exchange.sleep, jitter=lambda: 0.0),
        )
        await client.get_company(7)
    assert exchange.seen == ["sent aside=1", "slept aside=1", "sent aside=1"]
