"""Exceptions shared by the API clients, the sync handlers and the job worker.

The worker decides what to do with a failed job from the exception's class alone: a
:class:`RetryableError` is retried with backoff, a :class:`PermanentError` ends the job as dead,
and :class:`ReauthorizationRequired` parks every job of the installation until it logs in again.
"""

from __future__ import annotations

from typing import Final

OUTAGE_STATUSES: Final = frozenset({502, 503, 504})
"""HTTP statuses that say the API is away for a while (a gateway, a maintenance window), not
that it refused this request: the job rides the outage out (``JOB_OUTAGE_PATIENCE_HOURS``)."""


class SyncError(Exception):
    """Base of all errors the worker understands. ``code`` is stable and machine-readable."""

    code: str = "sync_error"
    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RetryableError(SyncError):
    """A failure that may pass on its own (rate limit, 5xx, network); retry later."""

    code = "retryable"
    retryable = True

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    @property
    def outage(self) -> bool:
        """Whether the API was out of reach or away (no answer, 502-504, a rate limit), rather
        than failing this request: such a job keeps trying past its attempts for a while."""
        return False


class RetryLater(SyncError):
    """Not a failure: the job cannot go on for ``retry_after`` seconds. It is queued again for
    then without counting an attempt."""

    code = "retry_later"
    retryable = True

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentError(SyncError):
    """A failure that retrying will not fix (refused input, missing entity, conflict)."""

    code = "permanent"


class ReauthorizationRequired(PermanentError):
    """Fortnox refused the refresh token: a person must log in to Fortnox again."""

    code = "fortnox_reauthorization_required"

    refused_tokens: str | None = None
    """The fingerprint (no secret) of the stored tokens that were refused, set by the token
    store: the job that met the refusal parks its installation only while they are still the
    stored ones (a new login meanwhile wins). None: not known, the installation is parked."""
