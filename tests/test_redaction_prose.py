"""Both redaction filters (log lines, stored job errors) remove credentials and leave ordinary
words alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from upsales_fortnox.core.logging_setup import redact as redact_log_line
from upsales_fortnox.jobs.failures import redact as redact_job_error

FILTERS: list[Callable[[str], str]] = [redact_log_line, redact_job_error]

PROSE = [
    "the bearer token expired; log in again",
    "Fortnox refused the Bearer token: invalid",
    "basic authentication is not supported",
    "refresh token: expired",
    "the secret: rotate it in the settings",
    "token refresh failed (Fortnox answered 401)",
]
SECRETS = [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("bearer 3f1e2d3c00004000", "3f1e2d3c00004000"),
    ('{"access_token": "a1b2c3d4e5f6g7h8"}', "a1b2c3d4e5f6g7h8"),
    ("token=abc", "abc"),
    ("refresh_token: 0123456789abcdef", "0123456789abcdef"),
]


@pytest.mark.parametrize("redact", FILTERS)
@pytest.mark.parametrize("text", PROSE)
def test_ordinary_words_stay_readable(redact: Callable[[str], str], text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("redact", FILTERS)
@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_credentials_are_redacted(redact: Callable[[str], str], text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert "[redacted]" in redacted
