"""One virtual clock for a client and the sandbox it talks to."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

START = 1_717_243_200.0
"""2024-06-01 12:00:00 UTC (14:00 in Stockholm)."""


class VirtualTime:
    """Epoch seconds that move only when someone sleeps or the test advances them.

    Serves as the sandboxes' clock, as the clients' monotonic clock and as their ``sleep``, so
    a retry after a 429 advances the very clock the sandbox's rate limit reads.
    """

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def wall(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)
