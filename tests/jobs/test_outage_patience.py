"""A job that meets an outage of Fortnox or Upsales (no answer, 502-504, a rate limit) keeps
trying past its attempts for ``JOB_OUTAGE_PATIENCE_HOURS``, so a maintenance window kills no
won deal; a failure of the request itself is still dead when its attempts are used."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    BACKOFF_MAX_SECONDS,
    FakeClock,
    add_installation,
    add_job,
    job_settings,
    load_job,
    make_worker,
)
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAnswerNotJson,
    FortnoxListKeptMoving,
    FortnoxNotSent,
    FortnoxRateLimited,
    FortnoxUnavailable,
)
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesMalformedResponse,
    UpsalesNetworkError,
    UpsalesPagesOutOfOrder,
    UpsalesRateLimited,
    UpsalesServerError,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]
MAX_ATTEMPTS = 3
PATIENCE_HOURS = 0.1
#: Tries past the attempts: each waits BACKOFF_MAX_SECONDS / 2 on average (full jitter).
TRIES_PAST = math.ceil(PATIENCE_HOURS * 3600 / (BACKOFF_MAX_SECONDS / 2))


def _upsales_server_error(status: int) -> UpsalesServerError:
    error = UpsalesServerError(f"Upsales GET /orders/{{id}} answered {status}")
    error.status = status
    return error


OUTAGES = {
    "fortnox no answer": lambda: FortnoxUnavailable("POST /invoices: timed out (ReadTimeout)"),
    "fortnox not reached": lambda: FortnoxNotSent("POST /invoices: network error (ConnectError)"),
    "fortnox 503": lambda: FortnoxUnavailable("POST /invoices: HTTP 503", status=503),
    "fortnox 502": lambda: FortnoxUnavailable("POST /invoices: HTTP 502", status=502),
    "fortnox maintenance page": lambda: FortnoxAnswerNotJson("GET /invoices: not JSON"),
    "fortnox 429": lambda: FortnoxRateLimited("GET /invoices: 429", status=429),
    "upsales no answer": lambda: UpsalesNetworkError("Upsales GET /orders/{id} failed"),
    "upsales 504": lambda: _upsales_server_error(504),
    "upsales 429": lambda: UpsalesRateLimited("Upsales GET /orders/{id} answered 429"),
    "upsales gateway page": lambda: UpsalesMalformedResponse("Upsales answered HTML"),
}
REQUEST_FAILURES = {
    "fortnox 500": lambda: FortnoxUnavailable("POST /invoices: HTTP 500", status=500),
    "upsales 500": lambda: _upsales_server_error(500),
    "fortnox list kept moving": lambda: FortnoxListKeptMoving("GET /invoices kept moving"),
    "upsales pages out of order": lambda: UpsalesPagesOutOfOrder("GET /accounts out of order"),
    "unclassified": lambda: RetryableError("it failed", code="fortnox_unavailable"),
}


async def _run_failing(
    session_factory: Factory,
    error: RetryableError,
    *,
    runs: int,
    patience_hours: float = PATIENCE_HOURS,
    succeed_after: int | None = None,
) -> tuple[int, list[str], int]:
    """Run a job whose handler raises ``error`` (until ``succeed_after`` runs), moving the
    clock past every backoff; returns how many runs there were, the outcome labels and the job."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=MAX_ATTEMPTS)
    handled = 0
    labels: list[str] = []

    async def handler(ctx: JobContext) -> None:
        nonlocal handled
        handled += 1
        if succeed_after is None or handled <= succeed_after:
            raise error

    worker = make_worker(
        session_factory,
        HandlerRegistry({"test.job": handler}),
        clock,
        settings=job_settings(job_outage_patience_hours=patience_hours),
        on_outcome=lambda kind, label, seconds: labels.append(label),
    )
    for _ in range(runs):
        await worker.run_once()
        clock.advance(BACKOFF_MAX_SECONDS)
    return handled, labels, job_id


@pytest.mark.parametrize("outage", OUTAGES.values(), ids=OUTAGES.keys())
async def test_an_outage_is_ridden_out_past_the_attempts_then_the_job_is_dead(
    session_factory: Factory, outage: object
) -> None:
    error = outage()  # type: ignore[operator]
    runs, labels, job_id = await _run_failing(
        session_factory, error, runs=MAX_ATTEMPTS + TRIES_PAST + 5
    )

    assert runs == MAX_ATTEMPTS + TRIES_PAST
    assert labels == ["retry"] * (runs - 1) + ["dead"]
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error is not None
    assert job.last_error.startswith(f"{error.code}: ")
    assert job.last_error.endswith(f"(gave up after {runs} attempts)")


async def test_a_deal_that_waited_out_an_outage_is_done_when_the_api_is_back(
    session_factory: Factory,
) -> None:
    error = FortnoxUnavailable("POST /invoices: HTTP 503", status=503)
    runs, labels, job_id = await _run_failing(
        session_factory, error, runs=MAX_ATTEMPTS + 10, succeed_after=MAX_ATTEMPTS + 4
    )

    assert runs == MAX_ATTEMPTS + 5
    assert labels == ["retry"] * (MAX_ATTEMPTS + 4) + ["done"]
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, MAX_ATTEMPTS + 5)


@pytest.mark.parametrize("failure", REQUEST_FAILURES.values(), ids=REQUEST_FAILURES.keys())
async def test_a_failure_of_the_request_itself_is_dead_when_its_attempts_are_used(
    session_factory: Factory, failure: object
) -> None:
    error = failure()  # type: ignore[operator]
    runs, labels, job_id = await _run_failing(session_factory, error, runs=MAX_ATTEMPTS + 5)

    assert runs == MAX_ATTEMPTS
    assert labels == ["retry"] * (MAX_ATTEMPTS - 1) + ["dead"]
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error is not None
    assert job.last_error.endswith(f"(gave up after {MAX_ATTEMPTS} attempts)")


async def test_no_patience_makes_an_outage_dead_when_the_attempts_are_used(
    session_factory: Factory,
) -> None:
    error = FortnoxUnavailable("POST /invoices: HTTP 503", status=503)
    runs, labels, job_id = await _run_failing(
        session_factory, error, runs=MAX_ATTEMPTS + 5, patience_hours=0
    )

    assert runs == MAX_ATTEMPTS
    assert labels[-1] == "dead"
    assert (await load_job(session_factory, job_id)).status == JobStatus.DEAD


async def test_the_tries_past_the_attempts_wait_at_most_the_backoff_ceiling(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=1)

    async def handler(ctx: JobContext) -> None:
        raise FortnoxUnavailable("POST /invoices: HTTP 503", status=503)

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    waits = []
    for _ in range(12):
        await worker.run_once()
        job = await load_job(session_factory, job_id)
        assert job.status == JobStatus.QUEUED
        waits.append((job.run_after - clock.now).total_seconds())
        clock.move_to(job.run_after)
    assert all(0 <= wait <= BACKOFF_MAX_SECONDS for wait in waits)
    assert max(waits) > BACKOFF_MAX_SECONDS / 2  # the waits reach the ceiling's range
