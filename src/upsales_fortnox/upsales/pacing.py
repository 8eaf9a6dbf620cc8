"""Client-side pacing for one Upsales API key: a budget of requests per sliding window.

Upsales allows 200 requests per 10 seconds per API key and answers 429 beyond that (reference
§2). :class:`RateLimiter` lets a request through only when fewer than ``limit`` requests may
have reached Upsales in the last ``window`` seconds, so no interval of ``window`` seconds ever
holds more than ``limit`` of them, whichever way Upsales places its windows. A request sent
through :meth:`RateLimiter.request` counts as reaching Upsales *now* for as long as it is in
flight, and from the moment its answer came back afterwards: it arrives somewhere in between,
after a delay that varies (event loop, connection pool, network), so counting from the grant
would let a promptly sent request land within the window of an earlier, delayed one, and
Upsales answers 429. :meth:`RateLimiter.acquire` counts from the grant. It also reads
``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the server's window resets; may be negative) and pauses
early when the server says the budget is spent, e.g. because another process uses the same key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from upsales_fortnox.upsales import facts

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_LIMIT = 200
DEFAULT_WINDOW_SECONDS = 10.0
MIN_RESET_SECONDS = 1.0
"""``X-RateLimit-Reset`` of zero or below (seen: ``-2``) still means "wait a little"."""


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header's value, or None when absent or not a number."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def reset_backoff(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait per ``X-RateLimit-Reset`` (or ``Retry-After``; see
    :mod:`upsales_fortnox.upsales.facts`), at least :data:`MIN_RESET_SECONDS`; None when neither
    header is usable."""
    seconds = header_number(headers, facts.RATE_LIMIT_RESET_HEADER)
    if seconds is None:
        seconds = header_number(headers, facts.RETRY_AFTER_HEADER)
    return None if seconds is None else max(seconds, MIN_RESET_SECONDS)


class RateLimiter:
    """Async sliding-window limiter; share one instance among all clients of one API key."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        """Told once for each request that has to wait for the budget (for metrics)."""
        self._counted: deque[float] = deque()
        """When the requests of the last window that are no longer in flight reached Upsales
        at the latest (their answer came back), in order."""
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request fits the budget, then count it from now."""
        await self._take()
        self._settle()

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Wait as :meth:`acquire` does, then hold the place while the request is sent and
        answered: it counts as arriving now until the block ends, and from then on as having
        arrived when the block ended."""
        await self._take()
        try:
            yield
        finally:
            self._settle()

    async def _take(self) -> None:
        told = self._on_wait is None
        if self._lock.locked():  # queued behind a request that waits
            told = self._told_of_wait()
        async with self._lock:
            while True:
                now = self._clock()
                while self._counted and self._counted[0] + self.window_seconds <= now:
                    self._counted.popleft()
                excess = self._in_flight + len(self._counted) - self.limit
                if excess >= len(self._counted):  # the budget is all in flight
                    told = told or self._told_of_wait()
                    self._settled.clear()
                    await self._settled.wait()
                    continue
                delay = self._paused_until - now
                if excess >= 0:
                    delay = max(delay, self._counted[excess] + self.window_seconds - now)
                if delay <= 0:
                    self._in_flight += 1
                    return
                told = told or self._told_of_wait()
                await self._sleep(delay)

    def _told_of_wait(self) -> bool:
        if self._on_wait is not None:
            self._on_wait()
        return True

    def _settle(self) -> None:
        self._in_flight -= 1
        self._counted.append(self._clock())
        self._settled.set()

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` from now (e.g. after a 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the server's reset when it reports no requests remaining."""
        remaining = header_number(headers, "X-RateLimit-Remaining")
        if remaining is not None and remaining <= 0:
            backoff = reset_backoff(headers)
            self.pause(backoff if backoff is not None else self.window_seconds)


class RateLimiterRegistry:
    """One :class:`RateLimiter` per API key, created on first use (keys held only as hashes)."""

    def __init__(self, factory: Callable[[], RateLimiter] = RateLimiter) -> None:
        self._factory = factory
        self._limiters: dict[str, RateLimiter] = {}

    def for_key(self, api_key: str) -> RateLimiter:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        if digest not in self._limiters:
            self._limiters[digest] = self._factory()
        return self._limiters[digest]
