"""What a failed job run means for the job, decided from the exception's class alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from upsales_fortnox.core.db.errors import is_lock_timeout
from upsales_fortnox.core.db.unavailable import DATABASE_UNAVAILABLE, is_database_outage
from upsales_fortnox.core.logging_setup import redact as redact_for_logs
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
    RetryLater,
    SyncError,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden

CREDENTIALS_REFUSED: Final = frozenset(
    {UpsalesAuthError.code, UpsalesForbidden.code, FortnoxAuthError.code}
)
"""Codes of an API refusing the installation's credentials or their access (an Upsales 403
may be its user's: :data:`~upsales_fortnox.integrations.upsales.facts.FORBIDDEN_MAY_BE_ACCESS`):
such a job is queued again when they were replaced during its run (the replacement's requeue
came first)."""

MAX_ERROR_LENGTH = 2000
_REDACTED = "[redacted]"
_QUERY_STRING = re.compile(r"(https?://[^\s?#]+\?)[^\s#\"']+")
"""A URL's whole query string: it may carry keys (stored errors keep none of it)."""


class FailureKind(StrEnum):
    RETRY = "retry"
    """Try again after a backoff (counts as an attempt)."""
    DEAD = "dead"
    """Give up now; an operator may retry."""
    REAUTHORIZE = "reauthorize"
    """Park the job without counting the attempt until the installation logs in again."""
    WAIT = "wait"
    """Queue the job again for ``retry_after`` seconds later, without counting the attempt."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    """``"<code>: <message>"``, free of secrets."""
    retry_after: float | None = None
    refused_tokens: str | None = None
    """``REAUTHORIZE``: the stored Fortnox tokens that were refused, when known (see
    :attr:`~upsales_fortnox.integrations.errors.ReauthorizationRequired.refused_tokens`)."""
    outage: bool = False
    """``RETRY``: the API or the database was out of reach or away, not failing this request
    (see :attr:`~upsales_fortnox.integrations.errors.RetryableError.outage`)."""

    @property
    def code(self) -> str:
        """The stable code of :attr:`reason`, as log lines carry it."""
        return reason_code(self.reason)


def reason_code(reason: str) -> str:
    """The code of a stored error ``"<code>: <message>"``."""
    return reason.split(":", 1)[0]


def redact(text: str) -> str:
    """What the logs redact (anything shaped like a credential, every registered secret), and
    every URL's query string."""
    return redact_for_logs(_QUERY_STRING.sub(lambda match: match.group(1) + _REDACTED, text))


def error_text(code: str, message: str, *, redact_message: bool = False) -> str:
    """The stored form of an error: ``"<code>: <message>"``, bounded in length."""
    text = f"{code}: {redact(message) if redact_message else message}"
    if len(text) > MAX_ERROR_LENGTH:
        text = text[: MAX_ERROR_LENGTH - 1] + "…"
    return text


DATABASE_LOCK_TIMEOUT: Final = "database_lock_timeout"


def classify_failure(exc: BaseException) -> Failure:
    """Map a handler's exception to what happens to the job.

    Our own :class:`~upsales_fortnox.integrations.errors.SyncError` subclasses are built without
    secrets; the database going away under the job is retried as ``database_unavailable``, a
    wait for another transaction's row given up (``lock_timeout``) as ``database_lock_timeout``;
    any other exception is unexpected, retried, and its text redacted before it is stored.
    """
    if isinstance(exc, ReauthorizationRequired):
        return Failure(
            FailureKind.REAUTHORIZE,
            error_text(exc.code, exc.message),
            refused_tokens=exc.refused_tokens,
        )
    if isinstance(exc, PermanentError):
        return Failure(FailureKind.DEAD, error_text(exc.code, exc.message))
    if isinstance(exc, RetryLater):
        return Failure(FailureKind.WAIT, error_text(exc.code, exc.message), exc.retry_after)
    if isinstance(exc, RetryableError):
        return Failure(
            FailureKind.RETRY,
            error_text(exc.code, exc.message),
            exc.retry_after,
            outage=exc.outage,
        )
    if isinstance(exc, SyncError):
        return Failure(FailureKind.RETRY, error_text(exc.code, exc.message))
    if is_lock_timeout(exc):  # a row another transaction holds: tried again later
        message = "waited too long for a row another transaction holds; tried again later"
        return Failure(FailureKind.RETRY, error_text(DATABASE_LOCK_TIMEOUT, message))
    if is_database_outage(exc):  # the statement and its values stay out of the stored error
        message = f"the database could not be reached during the job ({type(exc).__name__})"
        return Failure(FailureKind.RETRY, error_text(DATABASE_UNAVAILABLE, message), outage=True)
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Failure(FailureKind.RETRY, error_text("unexpected_error", detail, redact_message=True))
