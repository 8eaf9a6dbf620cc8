"""The long-running loop, and stopping it on SIGTERM: finish the job, or release it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    lease_rows,
    load_attempts,
    load_job,
    make_worker,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext, install_stop_signal_handlers
from upsales_fortnox.jobs.store.claims import InstallationClaims
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

Factory = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 10


class _LogWatcher(logging.Handler):
    """Sets an event when a log line starting with ``prefix`` is emitted."""

    def __init__(self, prefix: str, seen: asyncio.Event) -> None:
        super().__init__(logging.INFO)
        self._prefix = prefix
        self._seen = seen

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self._prefix):
            self._seen.set()


async def test_sigterm_releases_a_job_that_outlasts_the_grace_period(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def handler(ctx: JobContext) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = make_worker(
        session_factory,
        HandlerRegistry({"test.job": handler}),
        clock,
        shutdown_grace_seconds=0,
    )
    stop = asyncio.Event()
    uninstall = install_stop_signal_handlers(stop)
    try:
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(started.wait(), SAFETY_TIMEOUT)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, SAFETY_TIMEOUT)
    finally:
        uninstall()

    assert stop.is_set() and cancelled.is_set()
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts, job.last_error, job.lease_owner) == (
        JobStatus.QUEUED,
        0,
        None,
        None,
    )
    (attempt,) = await load_attempts(session_factory, job_id)
    assert attempt.outcome == AttemptOutcome.RELEASED
    assert attempt.error is not None and attempt.error.startswith("worker_stopped: ")
    assert await lease_rows(session_factory) == []


async def test_stop_lets_the_current_job_finish_and_starts_no_other(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first = await add_job(session_factory, installation_id, clock, entity_id="1")
    second = await add_job(session_factory, installation_id, clock, entity_id="2")
    started = asyncio.Event()
    proceed = asyncio.Event()
    runs: list[int] = []

    async def handler(ctx: JobContext) -> Result:
        runs.append(ctx.job_id)
        started.set()
        await proceed.wait()
        return Result({"finished": "yes"})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    grace_period_began = asyncio.Event()
    watcher = _LogWatcher("stopping: the running job may finish", grace_period_began)
    worker_logger = logging.getLogger("upsales_fortnox.jobs.handler_runs")
    worker_logger.addHandler(watcher)
    previous_level = worker_logger.level
    worker_logger.setLevel(logging.INFO)
    stop = asyncio.Event()
    try:
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(started.wait(), SAFETY_TIMEOUT)
        stop.set()
        await asyncio.wait_for(grace_period_began.wait(), SAFETY_TIMEOUT)
        proceed.set()
        await asyncio.wait_for(running, SAFETY_TIMEOUT)
    finally:
        worker_logger.removeHandler(watcher)
        worker_logger.setLevel(previous_level)

    assert runs == [first]
    assert (await load_job(session_factory, first)).status == JobStatus.DONE
    assert (await load_job(session_factory, second)).status == JobStatus.QUEUED
    assert await lease_rows(session_factory) == []


async def test_the_loop_serves_several_installations_until_stopped(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    job_ids: set[int] = set()
    for number in range(4):
        installation_id = await add_installation(session_factory, name=f"Customer {number}")
        for entity in range(3):
            job_ids.add(
                await add_job(session_factory, installation_id, clock, entity_id=str(entity))
            )
    stop = asyncio.Event()
    done: set[int] = set()

    async def handler(ctx: JobContext) -> None:
        done.add(ctx.job_id)
        if done == job_ids:
            stop.set()

    worker = make_worker(
        session_factory,
        HandlerRegistry({"test.job": handler}),
        clock,
        settings=job_settings(worker_concurrency=3),
    )
    await asyncio.wait_for(worker.run(stop), SAFETY_TIMEOUT)
    for job_id in job_ids:
        assert (await load_job(session_factory, job_id)).status == JobStatus.DONE


async def test_signal_handlers_set_the_stop_event_on_sigint() -> None:
    stop = asyncio.Event()
    uninstall = install_stop_signal_handlers(stop)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(stop.wait(), SAFETY_TIMEOUT)
    finally:
        uninstall()
    assert stop.is_set()


async def test_cancelling_the_loop_is_a_hard_stop_recovered_after_the_lease(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    started = asyncio.Event()
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.attempt)
        if ctx.attempt == 1:
            started.set()
            await asyncio.Event().wait()

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    running = asyncio.create_task(worker.run(asyncio.Event()))
    await asyncio.wait_for(started.wait(), SAFETY_TIMEOUT)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    job = await load_job(session_factory, job_id)
    assert (job.status, job.lease_owner) == (JobStatus.RUNNING, worker.worker_id)
    assert await lease_rows(session_factory) == []

    assert await worker.run_once() == 0  # its job lease still runs
    clock.advance(LEASE_SECONDS + 1)
    assert await worker.run_once() == 1
    assert runs == [1, 2]
    outcomes = [a.outcome for a in await load_attempts(session_factory, job_id)]
    assert outcomes == [AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.DONE]


async def _store_holding_an_installation(session_factory: Factory) -> tuple[JobStore, uuid.UUID]:
    """A job store that has claimed an installation with a job due."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock)
    store = JobStore(session_factory, owner="worker-a", lease=timedelta(seconds=60), clock=clock)
    assert await store.claim_installations(1) == [installation_id]
    return store, installation_id


async def test_a_hard_stop_during_the_release_still_gives_the_installation_back(
    session_factory: Factory,
) -> None:
    store, installation_id = await _store_holding_an_installation(session_factory)
    assert len(await lease_rows(session_factory)) == 1

    releasing = asyncio.create_task(store.release_installation(installation_id))
    await asyncio.sleep(0)  # one turn of the loop: the release has begun
    releasing.cancel()  # the hard stop arrives while its delete is on its way
    with pytest.raises(asyncio.CancelledError):
        await releasing
    assert await lease_rows(session_factory) == []
    await store.close()


async def test_a_release_cut_off_twice_still_reports_its_failed_delete(
    session_factory: Factory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, installation_id = await _store_holding_an_installation(session_factory)
    delete_may_end, delete_ended = asyncio.Event(), asyncio.Event()

    async def failing_delete(claims: InstallationClaims, _installation_id: uuid.UUID) -> None:
        await delete_may_end.wait()
        delete_ended.set()
        raise RuntimeError("the database went away")

    monkeypatch.setattr(InstallationClaims, "_drop", failing_delete)
    releasing = asyncio.create_task(store.release_installation(installation_id))
    await asyncio.sleep(0)  # the release has begun
    releasing.cancel()  # the hard stop: the release waits for its delete
    await asyncio.sleep(0)
    releasing.cancel()  # cancelled again while it waits: it stops waiting
    with pytest.raises(asyncio.CancelledError):
        await releasing
    delete_may_end.set()
    await delete_ended.wait()
    await asyncio.sleep(0)  # the delete's end is reported

    (record,) = [
        r for r in caplog.records if r.message == "releasing the installation lease failed"
    ]
    assert record.installation_id == str(installation_id)  # type: ignore[attr-defined]
    assert record.exc_info is not None and "went away" in str(record.exc_info[1])
    await store.close()
