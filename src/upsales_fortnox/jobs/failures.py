"""What a failed job run means for the job, decided from the exception's class alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
    SyncError,
)

MAX_ERROR_LENGTH = 2000
_REDACTED = "[redacted]"
#: What a secret value looks like where a word could stand instead (see the patterns).
_CREDENTIAL = r"(?:(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z]{20,})"
_SECRET_PATTERNS = [
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|apikey|api_key|client_secret|secret|"
        rf"password|authenticationKey)[\"']?\s*:\s*[\"']?){_CREDENTIAL}"
    ),
    # A credential after "Bearer"/"Basic": 8+ characters with a digit or punctuation, or 20+
    # letters, so prose such as "the bearer token expired" stays readable.
    re.compile(rf"(?i)(\b(?:bearer|basic)\s+){_CREDENTIAL}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|apikey|api_key|client_secret|secret|"
        r"password|authenticationKey)[\"']?\s*=\s*[\"']?)[^\s\"'&,}]+"
    ),
    re.compile(r"(https?://[^\s?#]+\?)[^\s#\"']+"),  # query strings may carry keys
]


class FailureKind(StrEnum):
    RETRY = "retry"
    """Try again after a backoff (counts as an attempt)."""
    DEAD = "dead"
    """Give up now; an operator may retry."""
    REAUTHORIZE = "reauthorize"
    """Park the job without counting the attempt until the installation logs in again."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    """``"<code>: <message>"``, free of secrets."""
    retry_after: float | None = None


def redact(text: str) -> str:
    """Remove anything shaped like a credential (``token=...``, ``Bearer ...``)."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + _REDACTED, text)
    return text


def error_text(code: str, message: str, *, redact_message: bool = False) -> str:
    """The stored form of an error: ``"<code>: <message>"``, bounded in length."""
    text = f"{code}: {redact(message) if redact_message else message}"
    if len(text) > MAX_ERROR_LENGTH:
        text = text[: MAX_ERROR_LENGTH - 1] + "…"
    return text


def classify_failure(exc: BaseException) -> Failure:
    """Map a handler's exception to what happens to the job.

    Our own :class:`~upsales_fortnox.integrations.errors.SyncError` subclasses are built without
    secrets; any other exception is unexpected, retried, and its text redacted before it is stored.
    """
    if isinstance(exc, ReauthorizationRequired):
        return Failure(FailureKind.REAUTHORIZE, error_text(exc.code, exc.message))
    if isinstance(exc, PermanentError):
        return Failure(FailureKind.DEAD, error_text(exc.code, exc.message))
    if isinstance(exc, RetryableError):
        return Failure(FailureKind.RETRY, error_text(exc.code, exc.message), exc.retry_after)
    if isinstance(exc, SyncError):
        return Failure(FailureKind.RETRY, error_text(exc.code, exc.message))
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Failure(FailureKind.RETRY, error_text("unexpected_error", detail, redact_message=True))
