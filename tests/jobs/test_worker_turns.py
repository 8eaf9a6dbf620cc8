"""One turn of an installation: due jobs read a few at a time and still started one by one,
each job's outcome saved together with the start of the next, a cache shared by the turn's
jobs, and the installation's versions handed to each job."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    Result,
    add_installation,
    add_job,
    connected_as,
    job_settings,
    lease_rows,
    load_attempts,
    load_job,
    make_worker,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.models.job import InstallationLease, SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

Factory = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 10


async def _add_jobs(
    session_factory: Factory, installation_id: uuid.UUID, clock: FakeClock, count: int
) -> list[int]:
    return [
        await add_job(session_factory, installation_id, clock, entity_id=str(number))
        for number in range(count)
    ]


async def _set_job_status(session_factory: Factory, job_id: int, status: JobStatus) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(update(SyncJob).where(SyncJob.id == job_id).values(status=status))


async def _hand_lease_to(session_factory: Factory, installation_id: uuid.UUID, owner: str) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            update(InstallationLease)
            .where(InstallationLease.installation_id == installation_id)
            .values(owner=owner)
        )


async def test_jobs_run_in_order_across_batches_and_each_opens_one_attempt(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_ids = await _add_jobs(session_factory, installation_id, clock, 7)
    runs: list[tuple[int, int]] = []

    async def handler(ctx: JobContext) -> Result:
        runs.append((ctx.job_id, ctx.attempt))
        return Result({"job": ctx.job_id})

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, jobs_per_batch=3
    )
    assert await worker.run_once() == 7
    assert runs == [(job_id, 1) for job_id in job_ids]
    for job_id in job_ids:
        job = await load_job(session_factory, job_id)
        assert (job.status, job.result, job.lease_owner) == (JobStatus.DONE, {"job": job_id}, None)
        (attempt,) = await load_attempts(session_factory, job_id)
        assert (attempt.number, attempt.outcome) == (1, AttemptOutcome.DONE)
    assert await lease_rows(session_factory) == []


async def test_a_batch_shorter_than_asked_for_is_the_turns_last_read(
    session_factory: Factory,
) -> None:
    """7 jobs read 3 at a time: 3, 3, then 1 (short: all that was due), and no fourth read;
    a job queued during the turn runs in the installation's next turn."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_ids = await _add_jobs(session_factory, installation_id, clock, 7)
    queued_meanwhile: list[int] = []
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)
        if ctx.job_id == job_ids[-1]:
            queued_meanwhile.append(
                await add_job(session_factory, installation_id, clock, entity_id="late")
            )

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, jobs_per_batch=3
    )
    reads: list[int] = []
    due_jobs = worker._store.due_jobs

    async def counted(installation: uuid.UUID, limit: int) -> Any:
        batch = await due_jobs(installation, limit)
        reads.append(len(batch))
        return batch

    worker._store.due_jobs = counted  # type: ignore[method-assign]
    assert await worker.run_once() == 8
    assert runs == [*job_ids, *queued_meanwhile]
    assert reads[:3] == [3, 3, 1]  # the turn's reads; then the next turn's
    assert reads[3:] == [1]


async def test_a_job_of_the_batch_that_is_no_longer_due_is_skipped(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first, second, third = await _add_jobs(session_factory, installation_id, clock, 3)
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)
        if ctx.job_id == first:  # an operator (say) settles the second meanwhile
            await _set_job_status(session_factory, second, JobStatus.DONE)

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 2
    assert runs == [first, third]
    assert await load_attempts(session_factory, second) == []


async def test_a_lease_taken_over_between_jobs_starts_no_further_job(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first, second, third = await _add_jobs(session_factory, installation_id, clock, 3)
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)
        await _hand_lease_to(session_factory, installation_id, "other-worker")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    async with connected_as(session_factory, "other-worker"):
        assert await worker.run_once() == 1
    assert runs == [first]
    assert (await load_job(session_factory, first)).status == JobStatus.DONE
    for job_id in (second, third):
        job = await load_job(session_factory, job_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    (lease,) = await lease_rows(session_factory)
    assert lease.owner == "other-worker"


async def test_a_lease_lost_when_renewed_for_the_next_job_keeps_the_finished_one(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first, second = await _add_jobs(session_factory, installation_id, clock, 2)

    async def handler(ctx: JobContext) -> Result:
        clock.advance(LEASE_SECONDS / 2)  # the next start renews the installation lease
        await _hand_lease_to(session_factory, installation_id, "other-worker")
        return Result({"ok": True})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    async with connected_as(session_factory, "other-worker"):
        assert await worker.run_once() == 1  # then the turn ended on the lost lease
    job = await load_job(session_factory, first)
    assert (job.status, job.result) == (JobStatus.DONE, {"ok": True})
    (attempt,) = await load_attempts(session_factory, first)
    assert attempt.outcome == AttemptOutcome.DONE
    assert (await load_job(session_factory, second)).status == JobStatus.QUEUED
    assert await load_attempts(session_factory, second) == []


async def test_when_starting_the_next_job_fails_the_finished_one_is_saved_alone(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first, second = await _add_jobs(session_factory, installation_id, clock, 2)
    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    store = worker._store
    start_on = store._start_on
    calls: list[int] = []

    async def start_on_failing_once(*args: Any) -> Any:
        calls.append(len(calls) + 1)
        if len(calls) == 2:  # the start that goes with the first job's completion
            raise RuntimeError("the database went away for a moment")
        return await start_on(*args)

    store._start_on = start_on_failing_once  # type: ignore[method-assign]
    assert await worker.run_once() == 2
    assert runs == [first, second]
    assert calls == [1, 2, 3]
    for job_id in (first, second):
        job = await load_job(session_factory, job_id)
        assert (job.status, job.attempts) == (JobStatus.DONE, 1)


async def test_jobs_of_one_turn_share_a_cache_and_see_the_installation_versions(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await _add_jobs(session_factory, installation_id, clock, 2)
    seen: list[tuple[int, int, int]] = []
    caches: list[dict[str, Any]] = []

    async def handler(ctx: JobContext) -> None:
        seen.append((ctx.job_id, ctx.installation_version, ctx.settings_version))
        caches.append(ctx.turn_cache)
        ctx.turn_cache[str(ctx.job_id)] = True

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 2
    assert [versions for _, *versions in seen] == [[1, 0], [1, 0]]
    assert caches[0] is caches[1] and len(caches[0]) == 2

    async with session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        installation.name = "Renamed AB"
        session.add(InstallationSettings(installation_id=installation_id))
        await session.commit()
    await add_job(session_factory, installation_id, clock, entity_id="later")
    assert await worker.run_once() == 1
    assert seen[-1][1:] == (2, 1)
    assert caches[-1] == {str(seen[-1][0]): True}  # a new turn starts with an empty cache


async def test_a_long_job_has_its_leases_renewed_by_the_heartbeat(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    worker = make_worker(session_factory, HandlerRegistry(), clock, heartbeat_seconds=0.01)
    store = worker._store
    renew = store.renew
    renewed = asyncio.Event()

    async def renew_and_tell(*args: Any, **kwargs: Any) -> None:
        await renew(*args, **kwargs)
        renewed.set()

    store.renew = renew_and_tell  # type: ignore[method-assign]
    expiries: list[Any] = []

    async def handler(ctx: JobContext) -> None:
        clock.advance(LEASE_SECONDS / 2)
        await asyncio.wait_for(renewed.wait(), SAFETY_TIMEOUT)
        job = await load_job(session_factory, job_id)
        (lease,) = await lease_rows(session_factory)
        expiries.extend([job.lease_expires_at, lease.expires_at])

    worker._registry.register("test.job", handler)
    assert await worker.run_once() == 1
    renewed_until = clock.now + timedelta(seconds=LEASE_SECONDS)
    assert expiries == [renewed_until, renewed_until]


async def test_a_short_job_leaves_its_leases_as_they_were_taken(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    expiries: list[Any] = []

    async def handler(ctx: JobContext) -> None:
        job = await load_job(session_factory, job_id)
        (lease,) = await lease_rows(session_factory)
        expiries.extend([job.lease_expires_at, lease.expires_at])

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    taken_at = clock.now
    assert await worker.run_once() == 1
    assert expiries == [taken_at + timedelta(seconds=LEASE_SECONDS)] * 2


async def test_the_loop_does_not_wait_for_the_poll_while_work_is_waiting(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    job_ids: set[int] = set()
    for number in range(3):
        installation_id = await add_installation(session_factory, name=f"Customer {number}")
        job_ids.update(await _add_jobs(session_factory, installation_id, clock, 2))
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
        settings=job_settings(worker_concurrency=1, worker_poll_seconds=3600),
        jobs_per_turn=1,
    )
    await asyncio.wait_for(worker.run(stop), SAFETY_TIMEOUT)
    assert done == job_ids
