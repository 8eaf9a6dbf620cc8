"""How long a failed job waits before its next attempt: exponential backoff with full jitter."""

from __future__ import annotations

import math
import random

_MAX_EXPONENT = 60  # 2**60 seconds is far beyond any cap; keeps the float finite


def backoff_ceiling(attempt: int, *, base_seconds: float, max_seconds: float) -> float:
    """The longest wait after failed attempt ``attempt`` (from 1): base * 2^(attempt-1), capped."""
    exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
    return min(max_seconds, base_seconds * 2.0**exponent)


def retry_delay_seconds(
    attempt: int,
    *,
    base_seconds: float,
    max_seconds: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """A random wait in ``[0, ceiling]`` (full jitter), but never less than ``retry_after``.

    A server's ``Retry-After`` is honoured as given, even beyond ``max_seconds``: retrying
    earlier would only be refused again.
    """
    delay = rng.uniform(
        0.0, backoff_ceiling(attempt, base_seconds=base_seconds, max_seconds=max_seconds)
    )
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


def rides_out_outage(
    attempts: int, max_attempts: int, *, patience_seconds: float, max_seconds: float
) -> bool:
    """Whether a job that met an outage (the API out of reach or away) tries again though its
    ``max_attempts`` are used: its tries past them wait ``max_seconds / 2`` on average (full
    jitter at the cap), so it gives up after about ``patience_seconds`` of them."""
    past = attempts - max_attempts
    return past < math.ceil(patience_seconds / (max_seconds / 2))
