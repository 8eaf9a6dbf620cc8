"""PostgreSQL: two workers start one job whose worker stopped, the second waiting for the first's
start to commit. The second run closes the first's attempt and numbers its own after it, as
when they start one after the other."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.database import until_a_session_waits_for_a_lock
from tests.jobs.support import (
    FakeClock,
    add_installation,
    add_job,
    load_attempts,
    simulate_crashed_run,
)
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.vocabulary import AttemptOutcome

Factory = async_sessionmaker[AsyncSession]
LEASE = timedelta(seconds=60)


async def test_a_recovery_that_waited_for_another_start_closes_that_start_s_attempt(
    pg_sessions: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(pg_sessions)
    job_id = await add_job(pg_sessions, installation_id, clock)
    await simulate_crashed_run(pg_sessions, job_id, clock, lease_left_seconds=-1)
    first = JobStore(pg_sessions, owner="worker-a", lease=LEASE, clock=clock)
    second = JobStore(pg_sessions, owner="worker-b", lease=LEASE, clock=clock)
    engine = pg_sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)

    assert await first.claim_installations(1) == [installation_id]
    (due,) = await first.due_jobs(installation_id, 1)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        stalled = await first._start_on(connection, installation_id, due, clock.now)
        assert stalled is not None and (stalled.attempt_number, stalled.recovered) == (2, True)
        # The first worker stalls before its start commits, past its leases; the second
        # takes the installation over and reads the job as the stopped worker left it.
        clock.advance(2 * LEASE.total_seconds())
        assert await second.claim_installations(1) == [installation_id]
        (due_again,) = await second.due_jobs(installation_id, 1)
        assert due_again.lease_expired
        starting = asyncio.create_task(second.start(installation_id, due_again))
        await until_a_session_waits_for_a_lock(engine)
        assert not starting.done()
        await transaction.commit()
    run = await starting

    assert run is not None and (run.attempt_number, run.recovered) == (3, True)
    attempts = await load_attempts(pg_sessions, job_id)
    assert [(attempt.number, attempt.worker_id, attempt.outcome) for attempt in attempts] == [
        (1, "crashed-worker", AttemptOutcome.LEASE_EXPIRED),
        (2, "worker-a", AttemptOutcome.LEASE_EXPIRED),
        (3, "worker-b", None),
    ]
    await first.close()
    await second.close()
