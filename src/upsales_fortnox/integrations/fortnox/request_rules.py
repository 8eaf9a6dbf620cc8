"""Fortnox's request rules: the budget per tenant and our retries.

Fortnox allows 25 requests per 5 seconds per client and tenant, as a sliding window (reference
fortnox.md §1); the shared :class:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter`
paces one tenant with these numbers, on PostgreSQL in front of the budget every process shares
(:mod:`upsales_fortnox.integrations.shared_pacing`).
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.integrations.retry import RetryPolicy

RATE_LIMIT: Final = 25
"""Requests per :data:`RATE_WINDOW_SECONDS` per tenant."""
RATE_WINDOW_SECONDS: Final = 5.0

RETRY: Final = RetryPolicy(
    max_attempts=None,
    max_elapsed_seconds=30.0,
    rate_limit_budget_seconds=60.0,
    base_delay_seconds=0.5,
    max_delay_seconds=8.0,
)
"""429s are repeated for up to 60 s (the limiter pauses the tenant); 5xx, network errors and
timeouts for up to 30 s, with backoff from 0.5 s doubling to 8 s."""

ONE_TRY: Final = RetryPolicy(max_attempts=1, rate_limit_budget_seconds=0.0)
"""For a read someone waits on (a sales rep opening a document link, Upsales asking for a
field's choices): a 5xx, network error or 429 is answered at once rather than after
:data:`RETRY`'s backoff; the caller says "try again shortly"."""
