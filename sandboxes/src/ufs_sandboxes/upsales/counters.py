"""Request counters for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestCounters:
    """Counts of requests to the imitated API (``/api/v2/...``).

    ``by_api_key`` counts requests that carried a valid key; ``by_route`` is keyed
    ``"GET /api/v2/accounts/{id}"`` (path template); ``by_status`` by response status, with
    dropped connections under ``"dropped"``.
    """

    total: int = 0
    rate_limited: int = 0
    dropped: int = 0
    by_api_key: Counter[str] = field(default_factory=Counter)
    by_customer: Counter[int] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def record(
        self, *, api_key: str | None, customer_id: int | None, route: str, status: int | str
    ) -> None:
        self.total += 1
        if api_key is not None:
            self.by_api_key[api_key] += 1
        if customer_id is not None:
            self.by_customer[customer_id] += 1
        self.by_route[route] += 1
        self.by_status[str(status)] += 1
        if status == 429:
            self.rate_limited += 1
        if status == "dropped":
            self.dropped += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "rateLimited": self.rate_limited,
            "dropped": self.dropped,
            "byApiKey": dict(self.by_api_key),
            "byCustomer": {str(k): v for k, v in self.by_customer.items()},
            "byRoute": dict(self.by_route),
            "byStatus": dict(self.by_status),
        }
