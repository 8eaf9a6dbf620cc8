"""Settings of one sandbox instance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DEFAULT_RATE_LIMIT_REQUESTS = 200
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 10.0
DEFAULT_PAGE_LIMIT = 1000
MAX_PAGE_LIMIT = 2000


@dataclass(frozen=True)
class UpsalesSandboxConfig:
    """How the sandbox behaves.

    ``clock`` returns epoch seconds and drives the rate-limit windows and every timestamp the
    sandbox writes; tests pass a fake one. ``sleep`` is awaited for the ``latency_ms`` fault so
    tests can observe the delay without waiting.
    """

    rate_limit_requests: int = DEFAULT_RATE_LIMIT_REQUESTS
    rate_limit_window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS
    clock: Callable[[], float] = field(default=time.time)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    fault_seed: int | None = None
    hook_delivery_log_size: int = 1000
