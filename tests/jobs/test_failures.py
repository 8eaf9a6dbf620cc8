"""A handler's exception decides the job's fate by its class; stored errors carry no secrets."""

from __future__ import annotations

from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
    RetryLater,
    SyncError,
)
from upsales_fortnox.jobs.failures import MAX_ERROR_LENGTH, FailureKind, classify_failure


def test_retryable_keeps_code_message_and_retry_after() -> None:
    failure = classify_failure(
        RetryableError("Fortnox rate limit reached", code="fortnox_rate_limited", retry_after=4.0)
    )
    assert failure.kind is FailureKind.RETRY
    assert failure.reason == "fortnox_rate_limited: Fortnox rate limit reached"
    assert failure.retry_after == 4.0


def test_a_run_that_cannot_go_on_yet_waits_for_its_time() -> None:
    failure = classify_failure(
        RetryLater("not yet", code="fortnox_create_settling", retry_after=42)
    )
    assert failure.kind is FailureKind.WAIT
    assert failure.reason == "fortnox_create_settling: not yet"
    assert failure.retry_after == 42


def test_permanent_is_dead() -> None:
    failure = classify_failure(PermanentError("article 12 does not exist", code="not_found"))
    assert failure.kind is FailureKind.DEAD
    assert failure.reason == "not_found: article 12 does not exist"


def test_reauthorization_is_recognised_before_its_permanent_base_class() -> None:
    failure = classify_failure(ReauthorizationRequired("refresh token refused"))
    assert failure.kind is FailureKind.REAUTHORIZE
    assert failure.reason == "fortnox_reauthorization_required: refresh token refused"
    assert failure.refused_tokens is None  # not known: the installation is parked


def test_a_reauthorization_names_the_refused_tokens_for_the_park() -> None:
    refusal = ReauthorizationRequired("refresh token refused")
    refusal.refused_tokens = "f" * 64

    assert classify_failure(refusal).refused_tokens == "f" * 64


def test_a_plain_sync_error_is_retried() -> None:
    assert classify_failure(SyncError("odd state")).kind is FailureKind.RETRY


def test_unexpected_exception_is_retried_and_redacted() -> None:
    error = RuntimeError(
        "GET https://power.upsales.com/api/v2/orders/7?token=s3cr3t-key failed; "
        "Authorization: Bearer abc.def.ghi"
    )
    failure = classify_failure(error)
    assert failure.kind is FailureKind.RETRY
    assert failure.reason.startswith("unexpected_error: RuntimeError: GET https://power.upsales")
    assert "s3cr3t-key" not in failure.reason
    assert "abc.def.ghi" not in failure.reason


def test_unexpected_exception_without_message_names_its_type() -> None:
    assert classify_failure(KeyError()).reason == "unexpected_error: KeyError"


def test_long_messages_are_bounded() -> None:
    failure = classify_failure(RetryableError("x" * 10_000))
    assert len(failure.reason) == MAX_ERROR_LENGTH
