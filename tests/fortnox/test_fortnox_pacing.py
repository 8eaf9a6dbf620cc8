from __future__ import annotations

import asyncio

import pytest
from fortnox_testkit import SteppingClock, VirtualTime
from hypothesis import example, given, settings
from hypothesis import strategies as st

from upsales_fortnox.integrations.pacing import (
    LimiterRegistry,
    PausedPastPatience,
    RateLimitBackoff,
    SlidingWindowLimiter,
)


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
# A place frees as a request arrives: the one waiting since 31.5 still goes first.
@example(limit=3, window=5.0, arrivals=[31.5, 31.5, 31.5, 31.5, 36.5])
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
    assert times == expected_fifo_grants(limit, window, arrivals)


def test_a_burst_is_spread_over_windows() -> None:
    granted = asyncio.run(grant_times(25, 5.0, [0.0] * 60))

    times = [grant for _, grant in granted]
    assert times[:25] == [0.0] * 25
    assert times[25:50] == [5.0] * 25
    assert times[50:] == [10.0] * 10


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
    limiter = SlidingWindowLimiter(25, 5.0, clock=stepping_clock, sleep=stepping_clock.sleep)

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


# Places held until the response is in


async def slot_times(
    limit: int, window: float, requests: list[tuple[float, float]]
) -> list[tuple[float, float, float]]:
    """One task per (arrival, duration) holding a slot for ``duration``; (arrival, grant, end)."""
    time = VirtualTime()
    limiter = SlidingWindowLimiter(limit, window, clock=time.clock, sleep=time.sleep)
    held: list[tuple[float, float, float]] = []

    async def request(arrival: float, duration: float) -> None:
        await time.sleep(arrival)
        async with limiter.slot():
            granted = time.now
            await time.sleep(duration)
        held.append((arrival, granted, time.now))

    await time.run(*(request(arrival, duration) for arrival, duration in requests))
    return sorted(held, key=lambda item: item[1])


def earliest_fifo_slots(
    limit: int, window: float, requests: list[tuple[float, float]]
) -> list[float]:
    """Each request in arrival order goes as soon as fewer than ``limit`` earlier ones are under
    way or finished less than ``window`` ago."""
    grants: list[float] = []
    frees: list[float] = []  # end + window of each earlier request
    for arrival, duration in sorted(requests, key=lambda item: item[0]):
        now = max(arrival, grants[-1] if grants else arrival)
        busy = sorted(free for free in frees if free > now)
        if len(busy) >= limit:
            now = busy[len(busy) - limit]
        grants.append(now)
        frees.append(now + duration + window)
    return grants


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=6),
    window=st.sampled_from([0.5, 1.0, 5.0]),
    requests=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=200).map(lambda tenths: tenths / 10),
            st.integers(min_value=0, max_value=30).map(lambda tenths: tenths / 10),
        ),
        max_size=40,
    ),
)
@example(limit=1, window=5.0, requests=[(0.0, 0.7), (1.4, 0.0)])  # 0.7 + 5.0 != 5.7 in floats
def test_the_server_never_sees_more_than_limit_in_a_window_whatever_the_delays(
    limit: int, window: float, requests: list[tuple[float, float]]
) -> None:
    held = asyncio.run(slot_times(limit, window, requests))

    # Times are sums of floats: compare them to a nanosecond, not bit for bit.
    assert [grant for _, grant, _ in held] == pytest.approx(
        earliest_fifo_slots(limit, window, requests), abs=1e-9
    )
    # The server counts a request at some moment between its grant and its end. However those
    # moments fall, no window may hold limit + 1 of them: for every request, fewer than
    # ``limit`` others were granted no later and ended less than a window before its grant.
    for index, (_, grant, _) in enumerate(held):
        close = [
            other
            for other, (_, other_grant, other_end) in enumerate(held)
            if other != index and other_grant <= grant and other_end + window > grant + 1e-9
        ]
        assert len(close) < limit


def test_a_slow_request_keeps_its_place_until_it_ends_plus_a_window() -> None:
    held = asyncio.run(slot_times(1, 5.0, [(0.0, 3.0), (1.0, 0.0)]))

    # Counted from its grant the place would be free at 5; it is held until 3 + 5.
    assert [(grant, end) for _, grant, end in held] == [(0.0, 3.0), (8.0, 8.0)]


class HandDrivenTime:
    """A clock set by hand and sleeps that end only when the test wakes them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeping: list[asyncio.Future[None]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleeping.append(woken)
        await woken

    async def advance_and_wake(self, seconds: float) -> None:
        self.now += seconds
        for woken in self.sleeping:
            woken.set_result(None)
        self.sleeping.clear()
        await settle()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def used_up_limiter(time: HandDrivenTime, limit: int = 1) -> SlidingWindowLimiter:
    """``limit`` per 5 s, every place used at 0 (free again at 5)."""
    limiter = SlidingWindowLimiter(limit, 5.0, clock=time.clock, sleep=time.sleep)
    for _ in range(limit):
        await limiter.acquire()
    return limiter


async def test_a_waiter_cancelled_while_waiting_takes_no_place() -> None:
    time = HandDrivenTime()
    limiter = await used_up_limiter(time, limit=2)
    first = asyncio.ensure_future(limiter.acquire())
    cancelled = asyncio.ensure_future(limiter.acquire())
    last = asyncio.ensure_future(limiter.acquire())
    await settle()

    cancelled.cancel()
    await time.advance_and_wake(5.0)

    assert cancelled.cancelled()
    assert first.done() and last.done()


async def test_a_waiter_cancelled_after_its_grant_gives_the_place_back() -> None:
    time = HandDrivenTime()
    limiter = await used_up_limiter(time)
    granted = asyncio.ensure_future(limiter.acquire())
    await settle()

    time.now = 5.0
    time.sleeping.pop().set_result(None)  # wake the dispatcher only
    await asyncio.sleep(0)  # it grants the place; the waiter has not run yet
    granted.cancel()
    await settle()
    later = asyncio.ensure_future(limiter.acquire())
    await settle()

    assert granted.cancelled()
    assert later.done() and later.exception() is None


async def test_a_waiter_gives_up_when_a_pause_it_will_not_wait_out_is_set() -> None:
    """Another request's 429 pauses the budget while requests wait for their places: one that
    would not wait the pause out raises at once (it is not sent), one that would keeps waiting,
    and the place the first would have had goes to the next."""
    time = HandDrivenTime()
    limiter = await used_up_limiter(time)

    async def request(give_up_past: float | None) -> None:
        give_up = None if give_up_past is None else (lambda pause: pause > give_up_past)
        async with limiter.slot(give_up):
            pass

    impatient = asyncio.ensure_future(request(give_up_past=60.0))
    patient = asyncio.ensure_future(request(give_up_past=600.0))
    plain = asyncio.ensure_future(request(give_up_past=None))
    await settle()
    assert not (impatient.done() or patient.done() or plain.done())

    limiter.rate_limited(300.0)  # a 429 with Retry-After: 300
    await settle()

    assert isinstance(impatient.exception(), PausedPastPatience)
    assert impatient.exception().pause_left == 300.0  # type: ignore[union-attr]
    assert not patient.done() and not plain.done()
    await time.advance_and_wake(300.0)
    await time.advance_and_wake(5.0)
    assert patient.done() and patient.exception() is None
    assert plain.done() and plain.exception() is None


async def test_a_short_pause_is_waited_out_by_a_waiter_that_may_give_up() -> None:
    time = HandDrivenTime()
    limiter = await used_up_limiter(time)

    async def request() -> None:
        async with limiter.slot(lambda pause: pause > 60.0):
            pass

    waiting = asyncio.ensure_future(request())
    await settle()

    limiter.rate_limited(2.0)
    await settle()
    assert not waiting.done()
    await time.advance_and_wake(5.0)
    assert waiting.done() and waiting.exception() is None


async def test_a_request_that_comes_during_a_pause_it_will_not_wait_out_gives_up_at_once() -> None:
    """The client looks at the pause before it asks for a place, but gets its access token in
    between (a refresh may take a while): a 429 met meanwhile by another request set a pause
    that no waiter was told of. The request gives up when it asks, as a waiter would have."""
    time = HandDrivenTime()
    limiter = SlidingWindowLimiter(5, 5.0, clock=time.clock, sleep=time.sleep)
    limiter.rate_limited(300.0)  # set after the client looked, before it asked for its place

    async def request() -> None:
        async with limiter.slot(lambda pause: pause > 60.0):
            pass

    asking = asyncio.ensure_future(request())
    await settle()
    assert asking.done()
    assert isinstance(asking.exception(), PausedPastPatience)
