"""A worker that dies: another takes its installations over (on PostgreSQL as soon as its
database session ends, on SQLite when its lease expires), and the dead worker's late writes
are fenced out."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    lease_rows,
    load_attempts,
    load_job,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import HandlerRegistry, JobContext, LeaseLost, Worker
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

Factory = async_sessionmaker[AsyncSession]
CRASHING_WORKER = Path(__file__).with_name("crashing_worker.py")
ROOT = Path(__file__).resolve().parents[2]
#: The crashed worker's lease: far longer than the test waits, so only its ended database
#: session can free its installation in time.
LONG_LEASE_SECONDS = 600.0
#: How long the test waits for the takeover before it fails (generous: a busy machine).
TAKEOVER_BOUND_SECONDS = 120.0


def _store(session_factory: Factory, owner: str, clock: FakeClock) -> JobStore:
    return JobStore(session_factory, owner=owner, lease=timedelta(seconds=60), clock=clock)


async def test_a_worker_that_comes_back_after_its_claim_moved_writes_nothing(
    session_factory: Factory, backend: str
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    first = _store(session_factory, "worker-a", clock)
    second = _store(session_factory, "worker-b", clock)
    assert await first.claim_installations(1) == [installation_id]
    (due,) = await first.due_jobs(installation_id, 1)
    stale_run = await first.start(installation_id, due)
    assert stale_run is not None

    await first.close()  # its database session ends, as a killed worker's does
    if backend == "sqlite":  # no sessions to watch there: the lease has to run out
        clock.advance(61)
    assert await second.claim_installations(1) == [installation_id]
    (due,) = await second.due_jobs(installation_id, 1)
    assert due.lease_expired
    new_run = await second.start(installation_id, due)
    assert new_run is not None and new_run.recovered and new_run.attempts == 2

    # The first worker comes back and carries on where it was.
    assert (await first.complete(stale_run, {"by": "worker-a"})).recorded is False
    with pytest.raises(LeaseLost):
        await first.renew(stale_run)
    assert not await first.bury(stale_run, "late")
    await first.release_installation(installation_id)
    assert await first.claim_installations(1) == []
    (lease,) = await lease_rows(session_factory)
    assert lease.owner == "worker-b"

    assert (await second.complete(new_run, {"by": "worker-b"})).recorded
    job = await load_job(session_factory, job_id)
    assert (job.status, job.result, job.attempts) == (JobStatus.DONE, {"by": "worker-b"}, 2)
    outcomes = [attempt.outcome for attempt in await load_attempts(session_factory, job_id)]
    assert outcomes == [AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.DONE]
    await first.close()
    await second.close()


async def _first_line(stream: asyncio.StreamReader) -> str:
    line = await asyncio.wait_for(stream.readline(), timeout=TAKEOVER_BOUND_SECONDS)
    return line.decode().strip()


async def _wait_until_done(session_factory: Factory, job_id: int) -> None:
    """Bounded poll for the job to be done (no timing claim: the bound is only a safety net,
    and far shorter than the dead worker's lease)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TAKEOVER_BOUND_SECONDS
    while (await load_job(session_factory, job_id)).status != JobStatus.DONE:
        if loop.time() > deadline:
            pytest.fail(f"no worker took the job over within {TAKEOVER_BOUND_SECONDS:.0f} s")
        await asyncio.sleep(0.05)


@pytest.mark.postgres
async def test_a_killed_worker_process_is_taken_over_before_its_lease_expires(
    pg_sessions: Factory, postgres_schema_url: str
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(pg_sessions)
    job_id = await add_job(pg_sessions, installation_id, clock)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CRASHING_WORKER),
        postgres_schema_url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    try:
        assert process.stdout is not None
        assert await _first_line(process.stdout) == f"started {job_id}"
        killed_at = utcnow()
        process.kill()  # SIGKILL: no cleanup, the lease stays behind unexpired
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    (lease,) = await lease_rows(pg_sessions)
    assert lease.expires_at > killed_at + timedelta(seconds=LONG_LEASE_SECONDS / 2)

    runs: list[tuple[int, int]] = []

    async def handler(ctx: JobContext) -> Result:
        runs.append((ctx.job_id, ctx.attempt))
        return Result({"attempt": ctx.attempt})

    settings = job_settings(job_lease_seconds=LONG_LEASE_SECONDS, worker_poll_seconds=0.05)
    survivor = Worker(pg_sessions, HandlerRegistry({"test.job": handler}), settings)
    stop = asyncio.Event()
    serving = asyncio.create_task(survivor.run(stop))
    try:
        await _wait_until_done(pg_sessions, job_id)
    finally:
        stop.set()
        await serving
    assert runs == [(job_id, 2)]
    outcomes = [attempt.outcome for attempt in await load_attempts(pg_sessions, job_id)]
    assert outcomes == [AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.DONE]
