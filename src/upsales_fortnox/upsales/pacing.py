"""Client-side pacing for one Upsales API key: a budget of requests per sliding window.

Upsales allows 200 requests per 10 seconds per API key and answers 429 beyond that (reference
§2). :class:`RateLimiter` keeps the time of the last ``limit`` requests it let through and makes
the next one wait until the oldest is a full ``window`` old, so no interval of ``window``
seconds ever holds more than ``limit`` requests. It also reads ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the server's window resets; may be negative) and pauses
early when the server says the budget is spent, e.g. because another process uses the same key.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

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
    """Seconds to wait per ``X-RateLimit-Reset`` (or, *unverified*, ``Retry-After``),
    at least :data:`MIN_RESET_SECONDS`; None when neither header is usable."""
    seconds = header_number(headers, "X-RateLimit-Reset")
    if seconds is None:
        seconds = header_number(headers, "Retry-After")
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
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._granted: deque[float] = deque(maxlen=limit)
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request fits the budget, then count it."""
        async with self._lock:
            while (delay := self._delay(self._clock())) > 0:
                await self._sleep(delay)
            self._granted.append(self._clock())

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` from now (e.g. after a 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the server's reset when it reports no requests remaining."""
        remaining = header_number(headers, "X-RateLimit-Remaining")
        if remaining is not None and remaining <= 0:
            backoff = reset_backoff(headers)
            self.pause(backoff if backoff is not None else self.window_seconds)

    def _delay(self, now: float) -> float:
        delay = self._paused_until - now
        if len(self._granted) == self.limit:
            delay = max(delay, self._granted[0] + self.window_seconds - now)
        return delay


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
