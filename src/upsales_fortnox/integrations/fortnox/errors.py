"""Fortnox failures as typed exceptions the job worker understands.

Each class subclasses :class:`~upsales_fortnox.integrations.errors.RetryableError` or
:class:`~upsales_fortnox.integrations.errors.PermanentError`, so ``retryable`` says whether trying
again can help. They carry the HTTP ``status``, Fortnox's numeric ``fortnox_code`` (sent as a number
or a string; match on it, never on the often Swedish message) and the message. Tokens never
appear in them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.errors import (
    OUTAGE_STATUSES,
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.integrations.pacing import server_wait

CODE_INVALID_LOGIN: Final = 2000310
CODE_INVALID_CREDENTIALS: Final = 2000311
CODE_NUMBER_IN_USE: Final = 2000637
CODE_NO_ACCESS_TO_SCOPE: Final = 2000663
"""A 403 for a token without the resource's scope (docs: errors); a new login cures it."""
#: Codes of a 403 that a fresh access token may cure.
TOKEN_CODES: Final = frozenset({CODE_INVALID_LOGIN, CODE_INVALID_CREDENTIALS})


class FortnoxError:
    """Mixin with the details of a Fortnox failure."""

    status: int | None
    fortnox_code: int | None
    fortnox_message: str | None

    def _set_details(
        self, status: int | None, fortnox_code: int | str | None, fortnox_message: str | None
    ) -> None:
        self.status = status
        self.fortnox_code = _normalise_code(fortnox_code)
        self.fortnox_message = fortnox_message


class FortnoxRetryableError(FortnoxError, RetryableError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        fortnox_code: int | str | None = None,
        fortnox_message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self._set_details(status, fortnox_code, fortnox_message)


class FortnoxPermanentError(FortnoxError, PermanentError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        fortnox_code: int | str | None = None,
        fortnox_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self._set_details(status, fortnox_code, fortnox_message)


class FortnoxRateLimited(FortnoxRetryableError):
    """HTTP 429 that outlasted the client's patience; ``retry_after`` in seconds."""

    code = "fortnox_rate_limited"

    @property
    def outage(self) -> bool:
        return True

    @classmethod
    def past_budget(cls, label: str, budget_seconds: float, pause: float) -> FortnoxRateLimited:
        """A request not sent: its tenant is paused ``pause`` s more, past ``budget_seconds``."""
        return cls(
            f"{label}: rate limited for longer than {budget_seconds:g} s",
            status=429,
            retry_after=pause,
        )


class FortnoxUnavailable(FortnoxRetryableError):
    """5xx, network error or timeout."""

    code = "fortnox_unavailable"

    @property
    def outage(self) -> bool:
        """No answer, or a gateway's or maintenance's; a 500 may be this request's own."""
        return self.status is None or self.status in OUTAGE_STATUSES


class FortnoxAnswerNotJson(FortnoxUnavailable):
    """A success status whose body is not JSON at all (a maintenance page or a proxy's page,
    not Fortnox's answer): retried like a 5xx; a write's outcome is as unknown as after one."""

    code = "fortnox_answer_not_json"

    @property
    def outage(self) -> bool:
        return True


class FortnoxNotSent(FortnoxUnavailable):
    """The request's last try never reached Fortnox (refused, unreachable, no connection free).
    A create or an action is tried again only after tries that changed nothing, so nothing
    it asked for was done."""


class FortnoxListKeptMoving(FortnoxRetryableError):
    """A list changed under its reader, call after call, more than its pages' overlap could
    follow (see :mod:`.gapless`): reading it whole later may succeed."""

    code = "fortnox_list_kept_moving"


class FortnoxClientRejected(FortnoxRetryableError):
    """Fortnox's token endpoint refused the service's own OAuth client
    (:data:`.facts.SERVICE_CLIENT_REFUSED_ERRORS`): its ``FORTNOX_CLIENT_ID`` /
    ``FORTNOX_CLIENT_SECRET``, shared by every installation, not one installation's login. An
    outage of the whole service until the operator corrects them: the job rides it out
    (``JOB_OUTAGE_PATIENCE_HOURS``) and goes through by itself once they are right; the
    installation keeps its login."""

    code = "fortnox_client_rejected"

    @property
    def outage(self) -> bool:
        return True


class FortnoxAuthError(FortnoxPermanentError):
    """Fortnox refused the credentials (401/403, codes 2000310/2000311, missing licence)."""

    code = "fortnox_auth_failed"


class FortnoxNotFound(FortnoxPermanentError):
    code = "fortnox_not_found"


class FortnoxNumberUnreadable(FortnoxNotFound):
    """A customer or article Fortnox lists under a number holding ``/`` answered 404 when read
    by that number (see :mod:`.slashed_numbers`): it exists, and cannot be read by its path.
    A read that may pass over a missing record passes over this one too; a sync that takes a
    404 for a deletion (unlinks, deactivates) or for "no such customer" (makes one) must not."""

    code = "fortnox_number_unreadable"


class FortnoxValidationError(FortnoxPermanentError):
    """Fortnox refused the request as invalid (HTTP 400 and other 4xx)."""

    code = "fortnox_refused"


class FortnoxNumberInUse(FortnoxValidationError):
    """Code 2000637: the number is taken, even by a deleted customer; never reusable."""

    code = "fortnox_number_in_use"


class FortnoxMalformedResponse(FortnoxPermanentError):
    """A success response whose body is not the JSON Fortnox documents.

    Permanent, because the request may have taken effect: repeating a create could duplicate it.
    """

    code = "fortnox_malformed_response"


class FortnoxRefreshRejected(FortnoxError, ReauthorizationRequired):
    """The token endpoint refused the refresh token (used, expired or revoked)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        fortnox_code: int | str | None = None,
        fortnox_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self._set_details(status, fortnox_code, fortnox_message)


def _normalise_code(code: int | str | None) -> int | None:
    if isinstance(code, bool) or code is None:
        return None
    if isinstance(code, int):
        return code
    text = str(code).strip()
    return parse_digits(text)


def error_information(response: httpx.Response) -> tuple[int | str | None, str | None]:
    """``(code, message)`` of an ``ErrorInformation`` body; ``(None, None)`` if there is none.

    Accepts lower- and upper-case keys and a bare ``{"message": ...}``.
    """
    try:
        body = json.loads(response.content)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    info = _get(body, "ErrorInformation")
    if not isinstance(info, dict):
        info = body
    code = _get(info, "code")
    message = _get(info, "message")
    return (
        code if isinstance(code, int | str) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


def _get(mapping: dict[str, Any], key: str) -> Any:
    for candidate, value in mapping.items():
        if candidate.lower() == key.lower():
            return value
    return None


def parse_retry_after(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), at most
    :data:`~upsales_fortnox.integrations.pacing.LONGEST_SERVER_WAIT_SECONDS`; None when
    absent/bad."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    header = header.strip()
    try:
        return server_wait(float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return server_wait((when - (now or datetime.now(UTC))).total_seconds())


def is_token_failure(response: httpx.Response) -> bool:
    """A 401, or a 403 that names the token (or nothing): a fresh access token may cure it.

    A 403 with another code (such as 2001101, no licence for the scope) will not be cured.
    """
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    code = _normalise_code(error_information(response)[0])
    return code is None or code in TOKEN_CODES


def error_from_response(response: httpx.Response, *, request_label: str) -> Exception:
    """The exception for a failed (status >= 400) Fortnox API response."""
    status = response.status_code
    raw_code, fortnox_message = error_information(response)
    fortnox_code = _normalise_code(raw_code)
    detail = fortnox_message or response.reason_phrase or "no message"
    if fortnox_code is not None:
        detail = f"{detail} (code {fortnox_code})"
    message = f"{request_label}: HTTP {status}: {detail}"
    details: dict[str, Any] = {
        "status": status,
        "fortnox_code": fortnox_code,
        "fortnox_message": fortnox_message,
    }
    if status == 429:
        return FortnoxRateLimited(message, retry_after=parse_retry_after(response), **details)
    if status >= 500:
        return FortnoxUnavailable(message, **details)
    if status in (401, 403) or fortnox_code in TOKEN_CODES:
        return FortnoxAuthError(message, **details)
    if status == 404:
        return FortnoxNotFound(message, **details)
    if fortnox_code == CODE_NUMBER_IN_USE:
        return FortnoxNumberInUse(message, **details)
    return FortnoxValidationError(message, **details)
