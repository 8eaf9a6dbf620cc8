"""Per-API-key request budget: a fixed window.

A window opens with the first request after the previous window ended and lasts
``window_seconds``; it allows ``limit`` requests. ``X-RateLimit-Reset`` is the whole number of
seconds until the window ends (rounded up). The real API's headers can show a negative reset
(reference §2); this limiter never produces one, but clients must accept it. A 429 carries no
``Retry-After`` (its use by Upsales is *unverified*). Requests without a valid key spend no
budget; their headers show the full budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]


@dataclass
class _Window:
    ends_at: float
    used: int


class FixedWindowRateLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, now: float) -> RateLimitDecision:
        """Spend one request of ``key``'s budget, or refuse it when the window is used up."""
        window = self._windows.get(key)
        if window is None or now >= window.ends_at:
            window = _Window(ends_at=now + self.window_seconds, used=0)
            self._windows[key] = window
        allowed = window.used < self.limit
        if allowed:
            window.used += 1
        return RateLimitDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=self.limit - window.used,
            reset_seconds=math.ceil(window.ends_at - now),
        )

    def unmetered(self) -> RateLimitDecision:
        """Headers for a request that spent no budget (no valid key)."""
        return RateLimitDecision(True, self.limit, self.limit, math.ceil(self.window_seconds))

    def reset(self) -> None:
        self._windows.clear()
