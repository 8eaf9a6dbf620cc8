"""The per-key budget holds in every window, under concurrency, in virtual time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from upsales_fortnox.integrations.pacing import LimiterRegistry, SlidingWindowLimiter
from upsales_fortnox.integrations.upsales.request_rules import (
    RATE_LIMIT,
    RATE_WINDOW_SECONDS,
    observe,
    reset_backoff,
)

TOLERANCE = 1e-9


class VirtualTime:
    """Runs tasks whose sleeps are timers on a virtual clock: time jumps to the next timer
    once every task is blocked, so no test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._order), wake))
        await wake

    async def run(self, coros: list[Coroutine[Any, Any, Any]]) -> list[Any]:
        tasks = [asyncio.ensure_future(coro) for coro in coros]
        while True:
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            assert self._timers, "tasks blocked with no timer pending"
            when, _, wake = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            wake.set_result(None)


def expected_grants(arrivals: list[float], limit: int, window: float) -> list[float]:
    """The earliest grant times a FIFO sliding-window budget allows."""
    grants: list[float] = []
    for arrival in sorted(arrivals):
        earliest = max(arrival, grants[-1] if grants else arrival)
        if len(grants) >= limit:
            earliest = max(earliest, grants[-limit] + window)
        grants.append(earliest)
    return grants


async def simulate(arrivals: list[float], limit: int, window: float) -> list[float]:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(limit, window, clock=time.clock, sleep=time.sleep)

    async def request(arrival: float) -> float:
        await time.sleep(arrival)
        await limiter.acquire()
        return time.now

    return sorted(await time.run([request(arrival) for arrival in arrivals]))


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=6),
    window=st.floats(min_value=0.05, max_value=10.0),
    arrivals=st.lists(st.floats(min_value=0.0, max_value=30.0), max_size=40),
)
def test_budget_never_exceeded_in_any_window(
    limit: int, window: float, arrivals: list[float]
) -> None:
    grants = asyncio.run(simulate(arrivals, limit, window))

    assert len(grants) == len(arrivals)
    for earlier, later in zip(grants, grants[limit:], strict=False):
        assert later - earlier >= window - TOLERANCE  # limit+1 grants never fit one window
    for granted, arrived in zip(grants, sorted(arrivals), strict=True):
        assert granted >= arrived - TOLERANCE
    # ... and no request waits longer than the budget requires.
    for granted, ideal in zip(grants, expected_grants(arrivals, limit, window), strict=True):
        assert abs(granted - ideal) <= 1e-6


async def test_a_burst_of_the_default_budget_passes_then_the_next_waits_a_window() -> None:
    time = VirtualTime()
    limiter = _upsales_limiter(time)
    grants = await time.run([_timed(limiter, time) for _ in range(201)])
    assert sorted(grants)[:200] == [0.0] * 200
    assert max(grants) == 10.0


def _upsales_limiter(time: VirtualTime) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(RATE_LIMIT, RATE_WINDOW_SECONDS, clock=time.clock, sleep=time.sleep)


async def _timed(limiter: SlidingWindowLimiter, time: VirtualTime) -> float:
    await limiter.acquire()
    return time.now


async def _in_flight_spans(
    limit: int, window: float, requests: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """One request per (start, duration), sent through ``request()`` and answered after
    ``duration``; (grant, answer) times, sorted."""
    time = VirtualTime()
    limiter = SlidingWindowLimiter(limit, window, clock=time.clock, sleep=time.sleep)

    async def send(start: float, duration: float) -> tuple[float, float]:
        await time.sleep(start)
        async with limiter.slot():
            granted = time.now
            await time.sleep(duration)
        return granted, time.now

    return sorted(await time.run([send(start, duration) for start, duration in requests]))


async def test_a_request_in_flight_keeps_its_place_and_counts_from_its_answer() -> None:
    spans = await _in_flight_spans(2, 10.0, [(0.0, 1.0), (0.0, 3.0), (0.5, 0.0)])

    # Counting from the grants, the third would go at 10.0; the first request may have
    # reached Upsales as late as 1.0, when its answer came back.
    assert [granted for granted, _ in spans] == [0.0, 0.0, 11.0]


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    window=st.sampled_from([1.0, 10.0]),
    requests=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=160).map(lambda eighths: eighths / 8),
            st.integers(min_value=0, max_value=24).map(lambda eighths: eighths / 8),
        ),
        max_size=40,
    ),
    data=st.data(),
)
def test_no_fixed_window_ever_holds_more_than_limit_arrivals(
    limit: int, window: float, requests: list[tuple[float, float]], data: st.DataObject
) -> None:
    spans = asyncio.run(_in_flight_spans(limit, window, requests))

    # Each request reaches Upsales between its grant and its answer (eighths of a second are
    # exact in binary); Upsales counts fixed windows, opened at any moment.
    fractions = data.draw(
        st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=len(spans), max_size=len(spans))
    )
    arrivals = sorted(g + f * (a - g) for (g, a), f in zip(spans, fractions, strict=True))
    for opened in arrivals:
        assert len([a for a in arrivals if opened <= a < opened + window]) <= limit


async def test_server_reporting_no_remaining_requests_pauses_until_its_reset() -> None:
    time = VirtualTime()
    limiter = _upsales_limiter(time)
    observe(limiter, {"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "7"})
    assert await time.run([_timed(limiter, time)]) == [0.0]
    observe(limiter, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"})
    assert await time.run([_timed(limiter, time)]) == [7.0]
    observe(limiter, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-2"})
    assert await time.run([_timed(limiter, time)]) == [8.0]  # negative: small positive pause


async def test_pause_holds_back_every_waiting_request() -> None:
    time = VirtualTime()
    limiter = _upsales_limiter(time)
    limiter.pause(3.0)
    assert await time.run([_timed(limiter, time), _timed(limiter, time)]) == [3.0, 3.0]


def test_reset_backoff_reads_seconds_and_floors_them() -> None:
    assert reset_backoff({"X-RateLimit-Reset": "10"}) == 10.0
    assert reset_backoff({"X-RateLimit-Reset": "0"}) == 1.0
    assert reset_backoff({"X-RateLimit-Reset": "-2"}) == 1.0
    # an epoch time where seconds were meant: at most five minutes, then the server is asked again
    assert reset_backoff({"X-RateLimit-Reset": "1733400000"}) == 300.0
    assert reset_backoff({"Retry-After": "4"}) == 4.0
    assert reset_backoff({"X-RateLimit-Reset": "soon"}) is None
    assert reset_backoff({}) is None


def test_registry_shares_one_limiter_per_key() -> None:
    registry = LimiterRegistry(5, 1.0)
    assert registry.get("key-a") is registry.get("key-a")
    assert registry.get("key-a") is not registry.get("key-b")
    assert registry.get("key-a").limit == 5
