"""How the worker ends a job run: done, retried with backoff, dead, or parked for re-login."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    FakeClock,
    HighestJitter,
    Result,
    add_installation,
    add_job,
    lease_rows,
    load_attempts,
    load_installation,
    load_job,
    make_worker,
    set_installation_status,
)
from upsales_fortnox.core.logging_setup import JsonFormatter, RedactingContextFilter
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.vocabulary import AttemptOutcome, InstallationStatus, JobStatus

Factory = async_sessionmaker[AsyncSession]


async def test_successful_job_is_done_with_its_result(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(
        session_factory,
        installation_id,
        clock,
        kind="upsales.order",
        entity_id="7",
        payload={"hint": 1},
    )
    seen: list[tuple[Any, ...]] = []

    async def handler(ctx: JobContext) -> Result:
        seen.append(
            (ctx.job_id, ctx.installation_id, ctx.kind, ctx.entity_id, ctx.payload, ctx.attempt)
        )
        return Result({"fortnox_invoice": "1001"})

    worker = make_worker(session_factory, HandlerRegistry({"upsales.order": handler}), clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0

    assert seen == [(job_id, installation_id, "upsales.order", "7", {"hint": 1}, 1)]
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
    assert job.result == {"fortnox_invoice": "1001"}
    assert job.finished_at == clock.now
    assert job.lease_owner is None and job.lease_expires_at is None
    (attempt,) = await load_attempts(session_factory, job_id)
    assert (attempt.number, attempt.outcome, attempt.error) == (1, AttemptOutcome.DONE, None)
    assert attempt.worker_id == worker.worker_id
    assert attempt.started_at == attempt.finished_at == clock.now
    assert await lease_rows(session_factory) == []


async def test_jobs_run_in_due_order_and_future_jobs_wait(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    later = await add_job(session_factory, installation_id, clock, delay_seconds=-10)
    earliest = await add_job(session_factory, installation_id, clock, delay_seconds=-30)
    middle = await add_job(session_factory, installation_id, clock, delay_seconds=-20)
    future = await add_job(session_factory, installation_id, clock, delay_seconds=5)
    order: list[int] = []

    async def handler(ctx: JobContext) -> None:
        order.append(ctx.job_id)

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 3
    assert order == [earliest, middle, later]
    clock.advance(5)
    assert await worker.run_once() == 1
    assert order[-1] == future


async def test_retryable_failure_backs_off_within_jitter_then_succeeds(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    failures_left = 3

    async def handler(ctx: JobContext) -> Result:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            raise RetryableError("Fortnox answered 503", code="fortnox_unavailable")
        return Result({"attempt": ctx.attempt})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    for attempt in (1, 2, 3):
        failed_at = clock.now
        assert await worker.run_once() == 1
        job = await load_job(session_factory, job_id)
        assert job.status == JobStatus.QUEUED
        assert job.attempts == attempt
        assert job.last_error == "fortnox_unavailable: Fortnox answered 503"
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        assert failed_at < job.run_after <= failed_at + timedelta(seconds=ceiling)
        assert await worker.run_once() == 0  # not due before its backoff ends
        clock.move_to(job.run_after)

    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 4, {"attempt": 4})
    outcomes = [a.outcome for a in await load_attempts(session_factory, job_id)]
    assert outcomes == [AttemptOutcome.RETRY] * 3 + [AttemptOutcome.DONE]


async def test_backoff_is_capped_and_retry_after_is_honoured(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    capped = await add_job(session_factory, installation_id, clock, entity_id="capped")
    throttled = await add_job(session_factory, installation_id, clock, entity_id="throttled")

    async def handler(ctx: JobContext) -> None:
        if ctx.entity_id == "throttled":
            raise RetryableError("429 Too Many Requests", code="rate_limited", retry_after=120)
        raise RetryableError("timeout", code="network")

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, rng=HighestJitter()
    )
    # Seven failed attempts of the capped job: ceilings 2, 4, ..., 64 -> capped at 60.
    delays: list[float] = []
    for _ in range(7):
        started = clock.now
        await worker.run_once()
        job = await load_job(session_factory, capped)
        delays.append((job.run_after - started).total_seconds())
        clock.move_to(job.run_after)
    assert delays == [2, 4, 8, 16, 32, 60, 60]
    job = await load_job(session_factory, throttled)
    assert job.last_error == "rate_limited: 429 Too Many Requests"
    assert job.run_after - job.updated_at == timedelta(seconds=120)


async def test_exhausted_attempts_make_the_job_dead_with_its_reason(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=3)
    runs = 0

    async def handler(ctx: JobContext) -> None:
        nonlocal runs
        runs += 1
        raise RetryableError("Fortnox answered 502", code="fortnox_unavailable")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    for _ in range(5):
        await worker.run_once()
        clock.advance(BACKOFF_MAX_SECONDS)

    assert runs == 3
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD
    assert job.attempts == 3
    assert job.last_error == "fortnox_unavailable: Fortnox answered 502 (gave up after 3 attempts)"
    outcomes = [a.outcome for a in await load_attempts(session_factory, job_id)]
    assert outcomes == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.DEAD]


async def test_permanent_error_is_dead_at_once(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise PermanentError("Fortnox refused the invoice: unknown article 12", code="rejected")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    clock.advance(3600)
    assert await worker.run_once() == 0
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == "rejected: Fortnox refused the invoice: unknown article 12"
    (attempt,) = await load_attempts(session_factory, job_id)
    assert (attempt.outcome, attempt.error) == (AttemptOutcome.DEAD, job.last_error)


async def test_unexpected_exception_is_retried_without_secrets(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise ValueError("GET https://power.upsales.com/api/v2/orders?token=k3y-123 broke")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.QUEUED and job.attempts == 1
    assert job.last_error is not None
    assert job.last_error.startswith("unexpected_error: ValueError: GET https://power.upsales.com")
    assert "k3y-123" not in job.last_error


async def test_unknown_kind_is_dead_with_a_clear_reason(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, kind="fortnox.mystery")
    worker = make_worker(session_factory, HandlerRegistry(), clock)
    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error == (
        "unknown_job_kind: no handler is registered for job kind 'fortnox.mystery'"
    )


async def test_a_result_that_is_not_json_makes_the_job_dead(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> Result:
        return Result({"at": datetime(2024, 1, 1)})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error is not None and job.last_error.startswith("invalid_job_result: ")


async def test_a_handler_returning_a_bare_dict_makes_the_job_dead(session_factory: Factory) -> None:
    """A handler returns its kind's result type; plain JSON is not one."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> Any:
        return {"fortnox_invoice": "1001"}

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert (job.status, job.result) == (JobStatus.DEAD, None)
    assert job.last_error == "invalid_job_result: the handler returned dict, not a job result"


async def test_reauthorization_parks_jobs_without_using_an_attempt(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first = await add_job(session_factory, installation_id, clock, entity_id="1")
    second = await add_job(session_factory, installation_id, clock, entity_id="2", delay_seconds=1)
    clock.advance(1)
    logged_in = False
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)
        if not logged_in:
            raise ReauthorizationRequired("Fortnox refused the refresh token; log in again")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    assert runs == [first]  # the second job is not tried once the installation is parked
    job = await load_job(session_factory, first)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    reason = "fortnox_reauthorization_required: Fortnox refused the refresh token; log in again"
    assert job.last_error == reason
    installation = await load_installation(session_factory, installation_id)
    assert installation.status == InstallationStatus.NEEDS_RELOGIN
    assert installation.status_reason == reason

    clock.advance(3600)
    assert await worker.run_once() == 0
    assert runs == [first]

    logged_in = True
    await set_installation_status(session_factory, installation_id, InstallationStatus.ACTIVE)
    assert await worker.run_once() == 2
    assert runs == [first, first, second]
    job = await load_job(session_factory, first)
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    outcomes = [a.outcome for a in await load_attempts(session_factory, first)]
    assert outcomes == [AttemptOutcome.RELEASED, AttemptOutcome.DONE]


async def test_jobs_of_inactive_installations_wait(session_factory: Factory) -> None:
    clock = FakeClock()
    paused = await add_installation(session_factory, status=InstallationStatus.PAUSED)
    pending = await add_installation(session_factory, status=InstallationStatus.PENDING_LOGIN)
    for installation_id in (paused, pending):
        await add_job(session_factory, installation_id, clock)
    runs = 0

    async def handler(ctx: JobContext) -> None:
        nonlocal runs
        runs += 1

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 0
    await set_installation_status(session_factory, paused, InstallationStatus.ACTIVE)
    assert await worker.run_once() == 1
    assert runs == 1


async def test_log_lines_carry_installation_and_job_ids(
    session_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise RetryableError("Fortnox answered 503", code="fortnox_unavailable")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    with caplog.at_level(logging.INFO, logger="upsales_fortnox.jobs"):
        await worker.run_once()
    job_records = [r for r in caplog.records if getattr(r, "job_id", None) == job_id]
    messages = [r.getMessage() for r in job_records]
    assert any(m.startswith(f"job {job_id} started") for m in messages)
    assert any("retrying in" in m and "fortnox_unavailable" in m for m in messages)
    assert {getattr(r, "installation_id", None) for r in job_records} == {str(installation_id)}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PermanentError("POST /invoices: HTTP 400", code="fortnox_refused"), "fortnox_refused"),
        (RetryableError("Fortnox answered 503", code="fortnox_unavailable"), "fortnox_unavailable"),
        (ReauthorizationRequired("log in again"), "fortnox_reauthorization_required"),
        (ValueError("token=abcdef1234567890"), "unexpected_error"),
    ],
)
async def test_json_log_lines_of_a_failed_run_carry_its_code_and_no_secret(
    session_factory: Factory,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    code: str,
) -> None:
    """An operator filters the JSON logs by ``code``, as the jobs API groups dead jobs."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise error

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    with caplog.at_level(logging.INFO, logger="upsales_fortnox.jobs"):
        await worker.run_once()
    redacting, formatter = RedactingContextFilter(), JsonFormatter()
    lines = []
    for record in caplog.records:
        if getattr(record, "job_id", None) == job_id and record.levelno >= logging.WARNING:
            redacting.filter(record)
            lines.append(json.loads(formatter.format(record)))
    assert lines, "the failure is logged"
    for line in lines:
        assert line["code"] == code
        assert (line["installation_id"], line["job_id"]) == (str(installation_id), str(job_id))
        assert "abcdef1234567890" not in json.dumps(line)
