"""A worker whose create-settle wait is shorter than its lease says so when it starts: a create a
stalled worker sends late is stopped only once its lease has run out, so the next worker's wait
must last at least that long for the two never to land side by side."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from upsales_fortnox.background import warn_if_settle_shorter_than_lease
from upsales_fortnox.core.config import Settings


def settings(settle: float, lease: float) -> Settings:
    return Settings(
        admin_token=SecretStr("test-admin-token-0123456789"),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
        fortnox_create_settle_seconds=settle,
        job_lease_seconds=lease,
    )


def codes(caplog: pytest.LogCaptureFixture) -> list[str | None]:
    return [getattr(record, "code", None) for record in caplog.records]


@pytest.mark.parametrize(("settle", "lease"), [(60.0, 60.0), (120.0, 60.0), (60.0, 30.0)])
def test_a_wait_as_long_as_the_lease_says_nothing(
    caplog: pytest.LogCaptureFixture, settle: float, lease: float
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_if_settle_shorter_than_lease(settings(settle, lease))
    assert codes(caplog) == []


def test_a_wait_shorter_than_the_lease_is_named_with_both_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_if_settle_shorter_than_lease(settings(2.0, 60.0))
    assert codes(caplog) == ["create_settle_shorter_than_lease"]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "FORTNOX_CREATE_SETTLE_SECONDS (2)" in message
    assert "JOB_LEASE_SECONDS (60)" in message


def test_the_defaults_keep_the_wait_at_least_the_lease() -> None:
    defaults = settings(Settings.model_fields["fortnox_create_settle_seconds"].default, 60.0)
    assert (
        defaults.fortnox_create_settle_seconds >= Settings.model_fields["job_lease_seconds"].default
    )
