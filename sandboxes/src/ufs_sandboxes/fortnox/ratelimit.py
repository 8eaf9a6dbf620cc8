"""A sliding-window request limit per access token (tenant + client), as Fortnox enforces it."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from ufs_sandboxes.fortnox.config import RateLimit


class SlidingWindowLimiter:
    """Admits a request when fewer than ``requests`` were admitted in the last window.

    Refused requests do not count against the window (*unverified*: Fortnox's counting of
    refused requests is unknown). Memory: one timestamp per admitted request in the window.
    """

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._admitted: dict[Hashable, deque[float]] = {}

    def try_acquire(self, key: Hashable, now: float) -> bool:
        window = self._admitted.get(key)
        if window is None:
            window = self._admitted[key] = deque()
        horizon = now - self._limit.window_seconds
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= self._limit.requests:
            return False
        window.append(now)
        return True

    def seconds_until_free(self, key: Hashable, now: float) -> float:
        window = self._admitted.get(key)
        if not window or len(window) < self._limit.requests:
            return 0.0
        return max(0.0, window[0] + self._limit.window_seconds - now)

    def clear(self) -> None:
        self._admitted.clear()
