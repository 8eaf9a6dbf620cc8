"""Request counters of the imitated API, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CountersSnapshot:
    total: int
    by_route: dict[str, int] = field(default_factory=dict)
    """``"GET /3/customers/{CustomerNumber}"`` → requests"""
    by_tenant: dict[int, int] = field(default_factory=dict)
    """tenant id → authenticated requests"""
    by_status: dict[int, int] = field(default_factory=dict)
    throttled: int = 0
    """429 answers"""
    throttled_by_tenant: dict[int, int] = field(default_factory=dict)
    dropped: int = 0
    """connections dropped by the fault knob"""

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_route": self.by_route,
            "by_tenant": {str(k): v for k, v in self.by_tenant.items()},
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "throttled": self.throttled,
            "throttled_by_tenant": {str(k): v for k, v in self.throttled_by_tenant.items()},
            "dropped": self.dropped,
        }


class RequestCounters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._total = 0
        self._by_route: Counter[str] = Counter()
        self._by_tenant: Counter[int] = Counter()
        self._by_status: Counter[int] = Counter()
        self._throttled_by_tenant: Counter[int] = Counter()
        self._dropped = 0

    def record(self, route: str, tenant_id: int | None, status: int | None) -> None:
        """One request; ``status`` is None for a dropped connection."""
        self._total += 1
        self._by_route[route] += 1
        if tenant_id is not None:
            self._by_tenant[tenant_id] += 1
        if status is None:
            self._dropped += 1
            return
        self._by_status[status] += 1
        if status == 429 and tenant_id is not None:
            self._throttled_by_tenant[tenant_id] += 1

    def snapshot(self) -> CountersSnapshot:
        return CountersSnapshot(
            total=self._total,
            by_route=dict(self._by_route),
            by_tenant=dict(self._by_tenant),
            by_status=dict(self._by_status),
            throttled=self._by_status[429],
            throttled_by_tenant=dict(self._throttled_by_tenant),
            dropped=self._dropped,
        )
