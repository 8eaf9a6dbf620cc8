"""Fault knobs: make the imitated API slow, fail or drop connections, deterministically."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Fault(Enum):
    DROP = "drop"
    """Close the connection without an answer."""
    UNAVAILABLE = "unavailable"
    """HTTP 503."""
    ERROR = "error"
    """HTTP 500 with ErrorInformation 1000003."""


@dataclass(frozen=True, slots=True)
class FaultSettings:
    error_rate: float = 0.0
    """Share (0..1) of requests answered with 500 / 1000003."""
    latency_ms: float = 0.0
    """Delay before every imitated request is handled, even before the rate limit counts it."""
    answer_delay_ms: float = 0.0
    """Delay of every imitated answer (429s and faulted 500/503s too), after the rate limit
    counted the request at its arrival and the request was handled: a round trip's latency.
    Dropped connections are not delayed."""
    fail_next: int = 0
    """The next N requests get 503."""
    drop_next: int = 0
    """The next N connections are dropped without an answer."""
    seed: int | None = None
    """Seed of the random source behind ``error_rate``."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    def __init__(self) -> None:
        self._settings = FaultSettings()
        self._random = random.Random()
        self._fail_left = 0
        self._drop_left = 0

    @property
    def settings(self) -> FaultSettings:
        """The current settings, with the N counters showing what is left."""
        return FaultSettings(
            error_rate=self._settings.error_rate,
            latency_ms=self._settings.latency_ms,
            answer_delay_ms=self._settings.answer_delay_ms,
            fail_next=self._fail_left,
            drop_next=self._drop_left,
            seed=self._settings.seed,
        )

    def configure(self, settings: FaultSettings) -> None:
        if not 0.0 <= settings.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        knobs = (
            settings.latency_ms,
            settings.answer_delay_ms,
            settings.fail_next,
            settings.drop_next,
        )
        if min(knobs) < 0:
            raise ValueError(
                "latency_ms, answer_delay_ms, fail_next and drop_next must not be negative"
            )
        self._settings = settings
        self._random = random.Random(settings.seed)
        self._fail_left = settings.fail_next
        self._drop_left = settings.drop_next

    def clear(self) -> None:
        self.configure(FaultSettings())

    @property
    def latency_seconds(self) -> float:
        return self._settings.latency_ms / 1000.0

    @property
    def answer_delay_seconds(self) -> float:
        return self._settings.answer_delay_ms / 1000.0

    def next_fault(self) -> Fault | None:
        """Decide the fate of one request: drops first, then 503s, then random 500s."""
        if self._drop_left > 0:
            self._drop_left -= 1
            return Fault.DROP
        if self._fail_left > 0:
            self._fail_left -= 1
            return Fault.UNAVAILABLE
        if self._settings.error_rate > 0 and self._random.random() < self._settings.error_rate:
            return Fault.ERROR
        return None
