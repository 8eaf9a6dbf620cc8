from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from upsales_fortnox.integrations.errors import PermanentError, RetryableError
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAuthError,
    FortnoxNotFound,
    FortnoxNumberInUse,
    FortnoxRateLimited,
    FortnoxUnavailable,
    FortnoxValidationError,
    error_from_response,
    is_token_failure,
    parse_retry_after,
)


def error_body(code: object, message: str = "Kan inte hitta kontot.") -> dict[str, object]:
    return {"ErrorInformation": {"error": 1, "message": message, "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (429, {"message": "Too many"}, FortnoxRateLimited, True),
        (500, error_body(1000003), FortnoxUnavailable, True),
        (503, None, FortnoxUnavailable, True),
        (403, error_body(2000311), FortnoxAuthError, False),
        (401, None, FortnoxAuthError, False),
        (400, error_body("2000310"), FortnoxAuthError, False),
        (404, error_body(2000423), FortnoxNotFound, False),
        (400, error_body(2001304), FortnoxValidationError, False),
        (400, error_body("2000637", "Kundnummer 5 används redan"), FortnoxNumberInUse, False),
        (409, None, FortnoxValidationError, False),
    ],
)
def test_responses_map_to_typed_errors(
    status: int, body: object, kind: type[Exception], retryable: bool
) -> None:
    response = (
        httpx.Response(status, json=body) if body is not None else httpx.Response(status, text="")
    )

    error = error_from_response(response, request_label="GET /customers/{CustomerNumber}")

    assert type(error) is kind
    assert isinstance(error, RetryableError if retryable else PermanentError)
    assert error.retryable is retryable  # type: ignore[attr-defined]
    assert error.status == status  # type: ignore[attr-defined]
    assert "GET /customers/{CustomerNumber}" in str(error)


def test_code_given_as_string_or_number_is_the_same_int() -> None:
    as_string = error_from_response(
        httpx.Response(400, json=error_body("2000637")), request_label="POST /customers"
    )
    as_number = error_from_response(
        httpx.Response(400, json=error_body(2000637)), request_label="POST /customers"
    )

    assert as_string.fortnox_code == as_number.fortnox_code == 2000637  # type: ignore[attr-defined]
    assert isinstance(as_string, FortnoxNumberInUse)
    assert "code 2000637" in str(as_string)


def test_upper_case_error_keys_are_read_too() -> None:
    response = httpx.Response(
        400, json={"ErrorInformation": {"Error": 1, "Message": "Ogiltigt fält", "Code": 2001399}}
    )

    error = error_from_response(response, request_label="PUT /orders/{DocumentNumber}")

    assert error.fortnox_code == 2001399  # type: ignore[attr-defined]
    assert error.fortnox_message == "Ogiltigt fält"  # type: ignore[attr-defined]


def test_malformed_error_body_still_gives_a_clear_error() -> None:
    response = httpx.Response(400, text="<html>Bad gateway</html>")

    error = error_from_response(response, request_label="GET /articles")

    assert isinstance(error, FortnoxValidationError)
    assert error.fortnox_code is None
    assert "HTTP 400: Bad Request" in str(error)


def test_rate_limit_error_carries_retry_after() -> None:
    response = httpx.Response(429, headers={"Retry-After": "7"})

    error = error_from_response(response, request_label="GET /articles")

    assert isinstance(error, FortnoxRateLimited)
    assert error.retry_after == 7.0


def parsed(value: str) -> float | None:
    """``Retry-After: value`` read at 2024-05-01 12:00 UTC."""
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return parse_retry_after(httpx.Response(429, headers={"Retry-After": value}), now=now)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parsed("3") == 3.0
    assert parsed("Wed, 01 May 2024 12:00:30 GMT") == 30.0
    assert parsed("Wed, 01 May 2024 11:00:00 GMT") == 0.0
    assert parsed("soon") is None
    assert parse_retry_after(httpx.Response(429)) is None


def test_a_server_given_wait_is_at_most_five_minutes() -> None:
    """An epoch time sent as seconds, or a date years ahead, would stall the tenant's budget in
    the process for that long; asked again after five minutes, the server can say more."""
    assert parsed("1733400000") == 300.0
    assert parsed("Fri, 01 May 2099 12:00:00 GMT") == 300.0
    assert parsed("299") == 299.0


@pytest.mark.parametrize(
    ("status", "code", "curable"),
    [(401, None, True), (403, None, True), (403, 2000311, True), (403, 2001101, False)],
)
def test_only_token_failures_are_worth_a_refresh(
    status: int, code: int | None, curable: bool
) -> None:
    body = error_body(code) if code is not None else {}

    assert is_token_failure(httpx.Response(status, json=body)) is curable
