"""Fault knobs: slow answers, 500s at random, the next N requests failing with 503 or dropped.

Faults apply to authenticated ``/api/v2/`` requests after the rate limit, so a faulted request
spends budget and carries rate-limit headers; the admin API is never faulted.
"""

from __future__ import annotations

import enum
import random
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class FaultSettings:
    error_rate: float = 0.0
    """Share of requests (0 to 1) answered 500."""
    latency_ms: int = 0
    """Added to every request before it is handled."""
    fail_next: int = 0
    """The next N requests are answered 503."""
    drop_next: int = 0
    """The next N requests get no response: the connection is closed."""
    seed: int | None = None
    """Seed of the generator behind ``error_rate``."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Fault(enum.Enum):
    NONE = "none"
    DROP = "drop"
    UNAVAILABLE = "unavailable"
    ERROR = "error"


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self.settings = FaultSettings(seed=seed)
        self._random = random.Random(seed)

    def configure(self, **changes: Any) -> FaultSettings:
        """Change some knobs (``None`` values are left as they are)."""
        given = {name: value for name, value in changes.items() if value is not None}
        updated = replace(self.settings, **given)
        if not 0.0 <= updated.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if updated.latency_ms < 0 or updated.fail_next < 0 or updated.drop_next < 0:
            raise ValueError("latency_ms, fail_next and drop_next must not be negative")
        if "seed" in given:
            self._random = random.Random(updated.seed)
        self.settings = updated
        return updated

    def reset(self) -> None:
        self.settings = FaultSettings(seed=self.settings.seed)
        self._random = random.Random(self.settings.seed)

    def next_fault(self) -> Fault:
        """The fault for the request being handled; drops come first, then 503s, then 500s."""
        settings = self.settings
        if settings.drop_next:
            self.settings = replace(settings, drop_next=settings.drop_next - 1)
            return Fault.DROP
        if settings.fail_next:
            self.settings = replace(settings, fail_next=settings.fail_next - 1)
            return Fault.UNAVAILABLE
        if settings.error_rate and self._random.random() < settings.error_rate:
            return Fault.ERROR
        return Fault.NONE
