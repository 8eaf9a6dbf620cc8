"""Upsales' request rules: the budget per API key, its rate-limit headers and our retries.

Upsales allows 200 requests per 10 seconds per API key and answers 429 beyond that (reference
§2); the shared :class:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter` paces one key
with these numbers. Upsales also reports ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(seconds until the server's window resets; may be negative): :func:`observe` pauses the key
early when the server says the budget is spent, e.g. because another process uses the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from upsales_fortnox.integrations.pacing import SlidingWindowLimiter, server_wait
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.upsales import facts

RATE_LIMIT: Final = 200
"""Requests per :data:`RATE_WINDOW_SECONDS` per API key."""
RATE_WINDOW_SECONDS: Final = 10.0
MIN_RESET_SECONDS: Final = 1.0
"""``X-RateLimit-Reset`` of zero or below (seen: ``-2``) still means "wait a little"."""

RETRY: Final = RetryPolicy(max_attempts=5, max_elapsed_seconds=60.0, max_delay_seconds=10.0)
"""A request is tried at most 5 times and never waits past 60 s in all (429s included); after
that the last retryable error is raised and the job worker retries the whole job later."""

ONE_TRY: Final = RetryPolicy(max_attempts=1)
"""For a read someone waits on (Upsales waiting for a hook's answer, an operator saving a key):
a failure is not tried again, as a sync job's would be."""


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header's value, or None when absent or not a number."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def reset_backoff(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait per ``X-RateLimit-Reset`` (or ``Retry-After``; see
    :mod:`upsales_fortnox.integrations.upsales.facts`), at least :data:`MIN_RESET_SECONDS` and
    at most :data:`~upsales_fortnox.integrations.pacing.LONGEST_SERVER_WAIT_SECONDS`; None when
    neither header is usable."""
    seconds = header_number(headers, facts.RATE_LIMIT_RESET_HEADER)
    if seconds is None:
        seconds = header_number(headers, facts.RETRY_AFTER_HEADER)
    return None if seconds is None else server_wait(max(seconds, MIN_RESET_SECONDS))


def observe(limiter: SlidingWindowLimiter, headers: Mapping[str, str]) -> None:
    """Pause the key until the server's reset when it reports no requests remaining."""
    remaining = header_number(headers, "X-RateLimit-Remaining")
    if remaining is not None and remaining <= 0:
        backoff = reset_backoff(headers)
        limiter.pause(backoff if backoff is not None else limiter.window_seconds)
