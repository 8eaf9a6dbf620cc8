"""Typed errors of the Upsales client, built from an HTTP status and Upsales' error body.

Upsales answers errors as ``{"error": {"key", "code", "errorCode", "msg"}, "data": null}``
(reference §1). Each class subclasses the shared :class:`RetryableError` or
:class:`PermanentError`, so the job worker knows what to do from the class alone. Messages name
the request as method and path template (``GET /accounts/{id}``), never the URL: in the default
auth mode the URL holds the API key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from upsales_fortnox.integrations.errors import (
    OUTAGE_STATUSES,
    PermanentError,
    RetryableError,
    SyncError,
)
from upsales_fortnox.integrations.pacing import PausedPastPatience, SlidingWindowLimiter
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.upsales.redaction import redact
from upsales_fortnox.integrations.upsales.request_rules import reset_backoff


class UpsalesError(SyncError):
    """Marker base of every error raised by the Upsales client."""

    status: int | None = None
    error_key: str | None = None
    upsales_message: str | None = None


class UpsalesAuthError(UpsalesError, PermanentError):
    """401: the API key is missing or not valid (the collection's intro)."""

    code = "upsales_unauthorized"


class UpsalesNotFound(UpsalesError, PermanentError):
    """404: the record does not exist or the key may not see it."""

    code = "upsales_not_found"


class UpsalesBadRequest(UpsalesError, PermanentError):
    """400 (or another refused 4xx): Upsales rejected the request; ``error_key`` says why."""

    code = "upsales_bad_request"


class UpsalesCurrencyMissing(UpsalesBadRequest):
    """Upsales refused an order in a currency its account lacks (or keeps inactive): an
    administrator adds the currency in Upsales, then the job is retried."""

    code = "upsales_currency_missing"


class UpsalesForbidden(UpsalesBadRequest):
    """403: Upsales refused the request; the collection's one 403 is a rule's refusal
    (``ProductOrChildCategoryExist``), not the key's. Whether a 403 may also be the key's user's
    access is :data:`.facts.FORBIDDEN_MAY_BE_ACCESS`: a job it ends runs again when a new key is
    saved, but it neither ends a run of many entities nor is told as a key refused."""

    code = "upsales_forbidden"


class UpsalesUnexpectedData(UpsalesError, PermanentError):
    """A well-formed reply whose data does not fit the wire model."""

    code = "upsales_unexpected_data"


class UpsalesRateLimited(UpsalesError, RetryableError):
    """429: over the key's request budget; ``retry_after`` from ``X-RateLimit-Reset``."""

    code = "upsales_rate_limited"

    @property
    def outage(self) -> bool:
        return True


@asynccontextmanager
async def place_within_budget(
    limiter: SlidingWindowLimiter, retry: RetryPolicy, started: float, where: str
) -> AsyncIterator[None]:
    """The key's place for one request, held for the block. Refused with
    :class:`UpsalesRateLimited` rather than wait out the key's pause (a 429's, or no requests
    left until Upsales' reset) past ``retry``'s time budget (``started``: the first try),
    whether the pause was there before or came while the request waited: the job is queued
    again for then, and its worker serves others meanwhile."""
    try:
        async with limiter.slot(partial(retry.gives_up, 0, started)):
            yield
    except PausedPastPatience as paused:  # raised only while waiting for the place
        raise paused_past_budget(where, paused.pause_left) from None


def paused_past_budget(where: str, pause: float) -> UpsalesRateLimited:
    """The error of a request not sent: the key is paused ``pause`` s more, past the budget."""
    return UpsalesRateLimited(
        f"Upsales {where}: the API key is rate limited for {pause:g} s more", retry_after=pause
    )


class UpsalesServerError(UpsalesError, RetryableError):
    """5xx: a failure on Upsales' side."""

    code = "upsales_server_error"

    @property
    def outage(self) -> bool:
        """A gateway's or maintenance's answer; a 500 may be this request's own."""
        return self.status in OUTAGE_STATUSES


class UpsalesNetworkError(UpsalesError, RetryableError):
    """No reply: connection failure or timeout."""

    code = "upsales_network_error"

    @property
    def outage(self) -> bool:
        return True


class UpsalesMalformedResponse(UpsalesError, RetryableError):
    """The reply is not JSON or not the Upsales envelope, e.g. a gateway's HTML page.
    Retryable because such pages are usually passing; the worker bounds the attempts."""

    code = "upsales_malformed_response"

    @property
    def outage(self) -> bool:
        return True


class UpsalesPagesOutOfOrder(UpsalesMalformedResponse):
    """An export's pages came back out of id order (Upsales ignored the id cursor): an answer,
    and the same one again, not an outage to ride out past the job's attempts."""

    @property
    def outage(self) -> bool:
        return False


def _error_details(body: Any) -> tuple[str | None, str | None]:
    """``(key, msg)`` from an error body, tolerating any shape."""
    if not isinstance(body, dict):
        return None, None
    error = body.get("error") or body.get("errors")
    if not isinstance(error, dict):
        return None, None
    key, msg = error.get("key"), error.get("msg")
    return (str(key) if key is not None else None), (str(msg) if msg is not None else None)


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    where: str,
    *,
    secrets: Sequence[str] = (),
) -> UpsalesError:
    """The error for a failed reply. ``body`` is the parsed JSON (or None when unparseable);
    ``where`` names the request without its URL, e.g. ``"GET /accounts/{id}"``; ``secrets`` are
    masked wherever Upsales' message might echo them."""
    key, msg = _error_details(body)
    msg = redact(msg, *secrets) if msg is not None else None
    detail = ": ".join(part for part in (key, msg) if part)
    message = f"Upsales {where} answered {status}" + (f" ({detail})" if detail else "")
    error: UpsalesError
    if status == 429:
        error = UpsalesRateLimited(message, retry_after=reset_backoff(headers))
    elif status >= 500:
        error = UpsalesServerError(message)
    elif status == 401:
        error = UpsalesAuthError(message)
    elif status == 403:
        error = UpsalesForbidden(message)
    elif status == 404:
        error = UpsalesNotFound(message)
    else:
        error = UpsalesBadRequest(message)
    error.status, error.error_key, error.upsales_message = status, key, msg
    return error
