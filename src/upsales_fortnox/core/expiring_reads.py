"""Values read from an API, kept by key for a while and shared by the jobs of a process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringReads(Generic[K, V]):
    """A value per key, read again once ``seconds`` have passed since it was read (``clock``:
    seconds, monotonic). Callers that need a key's value at once wait for one read; a read
    that raises is not kept, so the next caller reads again."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._reading: dict[K, asyncio.Lock] = {}

    async def get(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        async with self._reading.setdefault(key, asyncio.Lock()):
            kept = self._values.get(key)
            now = self._clock()
            if kept is not None and now - kept[0] < self._seconds:
                return kept[1]
            value = await read()
            self._values[key] = (now, value)
            return value
