"""Activation fixtures: the e2e ``harness`` plus a clock the login states are dated by."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import SyncHarness, harness
from upsales_fortnox.activation.router import get_activation_clock

__all__ = ["harness"]


class MovableClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(harness: SyncHarness) -> Iterator[MovableClock]:
    movable = MovableClock()
    harness.app.dependency_overrides[get_activation_clock] = lambda: movable
    yield movable
    harness.app.dependency_overrides.pop(get_activation_clock, None)
