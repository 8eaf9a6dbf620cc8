"""How long a failed job waits before its next attempt: exponential backoff with full jitter."""

from __future__ import annotations

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
