from __future__ import annotations

import asyncio

import pytest
from fortnox_testkit import SteppingClock, VirtualTime
from hypothesis import given, settings
from hypothesis import strategies as st

from upsales_fortnox.fortnox.pacing import LimiterRegistry, RateLimitBackoff, SlidingWindowLimiter


async def grant_times(
    limit: int, window: float, arrivals: list[float], *, pause_at: tuple[float, float] | None = None
) -> list[tuple[float, float]]:
    """Run one task per arrival against a limiter on virtual time; (arrival, grant) in order."""
    time = VirtualTime()
    limiter = SlidingWindowLimiter(limit, window, clock=time.clock, sleep=time.sleep)
    granted: list[tuple[float, float]] = []

    async def request(arrival: float) -> None:
        await time.sleep(arrival)
        await limiter.acquire()
        granted.append((arrival, time.now))

    async def pause(at: float, seconds: float) -> None:
        await time.sleep(at)
        limiter.rate_limited(seconds)

    extra = [pause(*pause_at)] if pause_at else []
    await time.run(*(request(arrival) for arrival in arrivals), *extra)
    return granted


def expected_fifo_grants(limit: int, window: float, arrivals: list[float]) -> list[float]:
    """g[i] = max(a[i], g[i-1], g[i-limit] + window): the earliest FIFO schedule in bounds."""
    grants: list[float] = []
    for index, arrival in enumerate(sorted(arrivals)):
        earliest = max(arrival, grants[-1] if grants else arrival)
        if index >= limit:
            earliest = max(earliest, grants[index - limit] + window)
        grants.append(earliest)
    return grants


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=8),
    window=st.sampled_from([0.5, 1.0, 5.0]),
    arrivals=st.lists(
        st.integers(min_value=0, max_value=400).map(lambda tenths: tenths / 10),
        max_size=60,
    ),
)
def test_no_window_ever_holds_more_than_limit_grants(
    limit: int, window: float, arrivals: list[float]
) -> None:
    granted = asyncio.run(grant_times(limit, window, arrivals))

    times = [grant for _, grant in granted]
    assert len(times) == len(arrivals)
    for index in range(len(times) - limit):
        assert times[index + limit] >= times[index] + window
    # Served first come, first served, and never later than necessary.
    assert [arrival for arrival, _ in granted] == sorted(arrivals)
    assert times == pytest.approx(expected_fifo_grants(limit, window, arrivals))


def test_a_burst_is_spread_over_windows() -> None:
    granted = asyncio.run(grant_times(25, 5.0, [0.0] * 60))

    times = [grant for _, grant in granted]
    assert times[:25] == [0.0] * 25
    assert times[25:50] == [5.0] * 25
    assert times[50:] == [10.0] * 10


async def in_flight_spans(
    limit: int, window: float, requests: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """One task per (start, duration): it sends through ``request()`` and is answered after
    ``duration``; (grant, answer) times in the order granted."""
    time = VirtualTime()
    limiter = SlidingWindowLimiter(limit, window, clock=time.clock, sleep=time.sleep)
    spans: list[tuple[float, float]] = []

    async def send(start: float, duration: float) -> None:
        await time.sleep(start)
        async with limiter.request():
            granted = time.now
            await time.sleep(duration)
        spans.append((granted, time.now))

    await time.run(*(send(start, duration) for start, duration in requests))
    return sorted(spans)


def test_a_request_in_flight_keeps_its_place_and_counts_from_its_answer() -> None:
    spans = asyncio.run(in_flight_spans(2, 5.0, [(0.0, 1.0), (0.0, 3.0), (0.5, 0.0)]))

    # Counting from the grants, the third would go at 5.0; the first request may have reached
    # Fortnox as late as 1.0, when its answer came back.
    assert [granted for granted, _ in spans] == [0.0, 0.0, 6.0]


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    window=st.sampled_from([1.0, 5.0]),
    requests=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=80).map(lambda eighths: eighths / 8),
            st.integers(min_value=0, max_value=24).map(lambda eighths: eighths / 8),
        ),
        max_size=40,
    ),
    data=st.data(),
)
def test_no_window_ever_holds_more_than_limit_arrivals_however_late_they_arrive(
    limit: int, window: float, requests: list[tuple[float, float]], data: st.DataObject
) -> None:
    spans = asyncio.run(in_flight_spans(limit, window, requests))

    # Each request reaches Fortnox somewhere between its grant and its answer (times in eighths
    # of a second, exact in binary, so the window's edges are compared exactly).
    fractions = data.draw(
        st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=len(spans), max_size=len(spans))
    )
    arrivals = sorted(g + f * (a - g) for (g, a), f in zip(spans, fractions, strict=True))
    for index, arrival in enumerate(arrivals):
        in_window = [other for other in arrivals[: index + 1] if other > arrival - window]
        assert len(in_window) <= limit


def test_pause_after_429_holds_every_waiter_until_retry_after() -> None:
    granted = asyncio.run(grant_times(25, 5.0, [0.0, 1.0, 1.5, 2.0], pause_at=(0.5, 3.0)))

    assert [grant for _, grant in granted] == [0.0, 3.5, 3.5, 3.5]


async def test_backoff_without_retry_after_doubles_and_resets_on_success(
    stepping_clock: SteppingClock,
) -> None:
    limiter = SlidingWindowLimiter(
        25,
        5.0,
        clock=stepping_clock,
        sleep=stepping_clock.sleep,
        backoff=RateLimitBackoff(base_seconds=1.0, max_seconds=4.0),
        jitter=lambda: 1.0,
    )

    pauses = [limiter.rate_limited() for _ in range(4)]
    limiter.succeeded()
    after_success = limiter.rate_limited()

    assert pauses == [1.0, 2.0, 4.0, 4.0]
    assert after_success == 1.0
    # A shorter pause never cuts a longer one short.
    start = stepping_clock.now
    await limiter.acquire()
    assert stepping_clock.now == start + 4.0


def test_backoff_jitter_stays_in_the_upper_half() -> None:
    backoff = RateLimitBackoff(base_seconds=2.0, max_seconds=60.0)

    assert backoff.delay(3, 0.0) == 4.0
    assert backoff.delay(3, 0.5) == 6.0
    assert backoff.delay(10, 0.99) < 60.0


async def test_retry_after_is_honoured_exactly(stepping_clock: SteppingClock) -> None:
    limiter = SlidingWindowLimiter(clock=stepping_clock, sleep=stepping_clock.sleep)

    assert limiter.rate_limited(12.5) == 12.5
    start = stepping_clock.now
    await limiter.acquire()

    assert stepping_clock.now == start + 12.5


def test_registry_gives_one_limiter_per_tenant() -> None:
    registry = LimiterRegistry(10, 2.0)

    first = registry.get("tenant:1")

    assert registry.get("tenant:1") is first
    assert registry.get("tenant:2") is not first
    assert (first.limit, first.window_seconds) == (10, 2.0)


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 5.0)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(25, 0)
