"""Request pacing per Fortnox tenant: a sliding window that is never exceeded.

Fortnox allows 25 requests per 5 seconds per client and tenant, enforced as a sliding window.
:class:`SlidingWindowLimiter` keeps the grant times of the last ``limit`` requests and lets a
request through only when the oldest of them has left the window, so no interval of
``window`` seconds ever holds more than ``limit`` grants. Waiters are served first come, first
served. After a 429 the limiter also pauses the tenant: for ``Retry-After`` when given, else
for an exponential backoff with jitter.

Clock and sleep are injectable so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
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
        self._grants: deque[float] = deque(maxlen=limit)
        self._paused_until = float("-inf")
        self._strikes = 0
        self._turn = asyncio.Lock()  # asyncio.Lock wakes waiters in FIFO order

    async def acquire(self) -> None:
        """Wait until one more request fits in the window (and any pause is over), then take it."""
        async with self._turn:
            while True:
                now = self._clock()
                ready_at = self._paused_until
                if len(self._grants) == self.limit:
                    ready_at = max(ready_at, self._grants[0] + self.window_seconds)
                if now >= ready_at:
                    self._grants.append(now)
                    return
                await self._sleep(ready_at - now)

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
