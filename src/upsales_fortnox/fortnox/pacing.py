"""Request pacing per Fortnox tenant: a sliding window that is never exceeded.

Fortnox allows 25 requests per 5 seconds per client and tenant, enforced as a sliding window
over the times its requests *arrive*. :class:`SlidingWindowLimiter` lets a request through only
when fewer than ``limit`` requests may have arrived in the last ``window`` seconds. Fortnox sees
a request some time after it was let through (the event loop, the connection pool, the
network), and that delay varies: counting from the grant would let a request that was sent
promptly arrive less than a window after an earlier, delayed one, and Fortnox answers 429. So a
request sent through :meth:`~SlidingWindowLimiter.request` counts as arriving *now* for as long
as it is in flight, and from the moment its answer (or failure) came back afterwards: its
arrival lies between the two. No interval of ``window`` seconds can then hold more than
``limit`` arrivals. :meth:`~SlidingWindowLimiter.acquire` counts from the grant (a caller that
sends at once). Waiters are served first come, first served. After a 429 the limiter also
pauses the tenant: for ``Retry-After`` when given, else for an exponential backoff with jitter.

Clock and sleep are injectable so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RateLimitBackoff:
    """Pause after a 429 without ``Retry-After``: ``base * 2**(strikes-1)``, capped, jittered."""

    base_seconds: float = 1.0
    max_seconds: float = 30.0

    def delay(self, strikes: int, jitter: float) -> float:
        """``jitter`` in [0, 1) spreads the delay over its upper half."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, strikes - 1))
        return ceiling / 2 + ceiling / 2 * jitter


class SlidingWindowLimiter:
    def __init__(
        self,
        limit: int = 25,
        window_seconds: float = 5.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: RateLimitBackoff | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff or RateLimitBackoff()
        self._jitter = jitter
        self._counted: deque[float] = deque()
        """When the requests of the last window that are no longer in flight arrived at the
        latest (their answer came back), in order."""
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._paused_until = float("-inf")
        self._strikes = 0
        self._turn = asyncio.Lock()  # asyncio.Lock wakes waiters in FIFO order

    async def acquire(self) -> None:
        """Wait until one more request fits in the window (and any pause is over), then take it,
        counted from now."""
        await self._take()
        self._settle()

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Wait for a place as :meth:`acquire` does, then hold it while the request is sent and
        answered: it counts as arriving now until the block ends, and from then on as having
        arrived when the block ended."""
        await self._take()
        try:
            yield
        finally:
            self._settle()

    async def _take(self) -> None:
        async with self._turn:
            while True:
                now = self._clock()
                while self._counted and self._counted[0] + self.window_seconds <= now:
                    self._counted.popleft()
                ready_at = self._paused_until
                excess = self._in_flight + len(self._counted) - self.limit
                if excess >= len(self._counted):  # the window is full of requests in flight
                    self._settled.clear()
                    await self._settled.wait()
                    continue
                if excess >= 0:
                    ready_at = max(ready_at, self._counted[excess] + self.window_seconds)
                if now >= ready_at:
                    self._in_flight += 1
                    return
                await self._sleep(ready_at - now)

    def _settle(self) -> None:
        self._in_flight -= 1
        self._counted.append(self._clock())
        self._settled.set()

    def rate_limited(self, retry_after: float | None = None) -> float:
        """Record a 429 and pause the tenant; returns the pause in seconds."""
        self._strikes += 1
        if retry_after is None:
            pause = self._backoff.delay(self._strikes, self._jitter())
        else:
            pause = max(0.0, retry_after)
        self._paused_until = max(self._paused_until, self._clock() + pause)
        return pause

    def succeeded(self) -> None:
        """A request passed the server's limit: the next 429 backs off from the start again."""
        self._strikes = 0

    @property
    def paused_until(self) -> float:
        return self._paused_until


class LimiterRegistry:
    """One :class:`SlidingWindowLimiter` per tenant key, created on first use."""

    def __init__(
        self,
        limit: int = 25,
        window_seconds: float = 5.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: RateLimitBackoff | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        def make() -> SlidingWindowLimiter:
            return SlidingWindowLimiter(
                limit, window_seconds, clock=clock, sleep=sleep, backoff=backoff, jitter=jitter
            )

        self._make = make
        self._limiters: dict[str, SlidingWindowLimiter] = {}

    def get(self, tenant_key: str) -> SlidingWindowLimiter:
        limiter = self._limiters.get(tenant_key)
        if limiter is None:
            limiter = self._limiters[tenant_key] = self._make()
        return limiter
