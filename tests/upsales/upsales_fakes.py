"""Test doubles shared by the Upsales client tests (imported by name: keep this name unique)."""

from __future__ import annotations

from typing import Any

BASE_URL = "https://upsales.test/api/v2"
TOKEN = "tok-5ecret-0a1b2c3d4e"


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


def envelope(data: Any, **metadata: int) -> dict[str, Any]:
    """An Upsales success body; list bodies get ``metadata`` when given."""
    body: dict[str, Any] = {"error": None, "data": data}
    if metadata:
        body["metadata"] = metadata
    return body
