"""Going back to the queue never breaks the one-queued-job-per-entity rule; operator actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    FakeClock,
    HighestJitter,
    add_installation,
    add_job,
    load_job,
    make_worker,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.jobs import (
    HandlerRegistry,
    JobContext,
    JobNotDead,
    JobNotFound,
    enqueue,
    release_installation_jobs,
    retry_dead_job,
)
from upsales_fortnox.jobs.store.enqueue import Enqueued, EntityJob, enqueue_many
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.vocabulary import EventSource, JobStatus

Factory = async_sessionmaker[AsyncSession]


async def _event_arrives(ctx: JobContext, payload: dict[str, Any], clock: FakeClock) -> int:
    """A webhook for the same entity, stored and enqueued while the job runs."""
    async with ctx.session_factory() as session:
        queued = await enqueue(
            session,
            installation_id=ctx.installation_id,
            kind=ctx.kind,
            entity_id=ctx.entity_id,
            payload=payload,
            run_after=clock.now,
        )
        session.add(
            InboundEvent(
                installation_id=ctx.installation_id,
                source=EventSource.UPSALES,
                dedupe_key=f"order-{ctx.entity_id}-updated",
                event_type="order.updated",
                entity_type="order",
                entity_id=ctx.entity_id,
                payload=payload,
                job_id=queued.job_id,
            )
        )
        await session.commit()
    assert queued.created  # the running job does not absorb new events
    return queued.job_id


async def _queued_ids(session_factory: Factory) -> list[int]:
    async with session_factory() as session:
        rows = await session.scalars(select(SyncJob.id).where(SyncJob.status == JobStatus.QUEUED))
        return list(rows.all())


async def test_a_failed_job_absorbs_the_job_queued_while_it_ran(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(
        session_factory, installation_id, clock, entity_id="7", payload={"version": 1}
    )
    newer_ids: list[int] = []
    runs: list[tuple[int, int, dict[str, Any]]] = []

    async def handler(ctx: JobContext) -> None:
        runs.append((ctx.job_id, ctx.attempt, ctx.payload))
        if not newer_ids:
            newer_ids.append(await _event_arrives(ctx, {"version": 2}, clock))
            raise RetryableError("Fortnox answered 503", code="fortnox_unavailable")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 2

    # the change that arrived is new: it runs when it was due, as a first attempt of its own,
    # not after the failed attempt's backoff
    (newer_id,) = newer_ids
    assert runs == [(job_id, 1, {"version": 1}), (job_id, 1, {"version": 2})]
    assert (await load_job(session_factory, job_id)).status == JobStatus.DONE
    merged = await load_job(session_factory, newer_id)
    assert (merged.status, merged.result) == (JobStatus.DONE, {"merged_into": job_id})
    async with session_factory() as session:
        event_job_ids = (await session.scalars(select(InboundEvent.job_id))).all()
    assert event_job_ids == [job_id]


async def _job_in_backoff(session_factory: Factory, clock: FakeClock) -> tuple[Any, int]:
    """A job of entity 7 that failed twice and waits out its backoff."""
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, entity_id="7")

    async def handler(ctx: JobContext) -> None:
        raise RetryableError("Fortnox answered 503", code="fortnox_unavailable")

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, rng=HighestJitter()
    )
    assert await worker.run_once() == 1
    clock.advance(60)
    assert await worker.run_once() == 1
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 2)
    assert job.run_after > clock.now
    return installation_id, job_id


async def test_a_change_for_a_job_in_backoff_makes_it_due_with_its_attempts_restarted(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id, job_id = await _job_in_backoff(session_factory, clock)

    async with session_factory() as session:
        connection = await session.connection()
        enqueued = await enqueue_many(connection, [EntityJob(installation_id, "test.job", "7")])
        await session.commit()

    assert enqueued == [Enqueued(job_id, created=False)]
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    assert job.run_after <= utcnow()


async def test_a_change_leaves_a_job_delayed_on_purpose_as_it_is(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(
        session_factory, installation_id, clock, entity_id="7", delay_seconds=600
    )

    async with session_factory() as session:
        await enqueue_many(
            await session.connection(), [EntityJob(installation_id, "test.job", "7")]
        )
        await session.commit()

    job = await load_job(session_factory, job_id)
    assert (job.attempts, job.run_after) == (0, clock.now + timedelta(seconds=600))


async def test_a_job_released_on_reauthorization_also_merges(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, entity_id="7")

    async def handler(ctx: JobContext) -> None:
        await _event_arrives(ctx, {"version": 2}, clock)
        raise ReauthorizationRequired("refresh token refused")

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await worker.run_once()
    assert await _queued_ids(session_factory) == [job_id]
    assert (await load_job(session_factory, job_id)).attempts == 0


async def test_a_job_that_succeeds_leaves_the_newer_job_queued(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, entity_id="7")
    newer_ids: list[int] = []

    async def handler(ctx: JobContext) -> None:
        if ctx.job_id == job_id:
            newer_ids.append(await _event_arrives(ctx, {"version": 2}, clock))

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 2  # the newer job runs too: the change may be newer
    assert (await load_job(session_factory, newer_ids[0])).status == JobStatus.DONE


async def _dead_job(session_factory: Factory, clock: FakeClock, entity_id: str) -> tuple[Any, int]:
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, entity_id=entity_id)

    async def handler(ctx: JobContext) -> None:
        raise PermanentError("customer 5 is missing in Fortnox", code="not_found")

    await make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock).run_once()
    assert (await load_job(session_factory, job_id)).status == JobStatus.DEAD
    return installation_id, job_id


async def test_retry_dead_job_queues_it_again_with_attempts_reset(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    _, job_id = await _dead_job(session_factory, clock, "5")
    clock.advance(100)
    async with session_factory() as session:
        job = await retry_dead_job(session, job_id, now=clock.now)
        await session.commit()
    assert (job.id, job.status, job.attempts, job.run_after) == (
        job_id,
        JobStatus.QUEUED,
        0,
        clock.now,
    )
    assert job.finished_at is None
    assert job.last_error == "not_found: customer 5 is missing in Fortnox"

    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.attempt)

    await make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock).run_once()
    assert runs == [1]
    assert (await load_job(session_factory, job_id)).status == JobStatus.DONE


async def test_retry_dead_job_merges_a_queued_job_of_the_same_entity(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id, job_id = await _dead_job(session_factory, clock, "5")
    newer_id = await add_job(
        session_factory, installation_id, clock, entity_id="5", payload={"v": 2}, delay_seconds=9
    )
    async with session_factory() as session:
        job = await retry_dead_job(session, job_id, now=clock.now)
        await session.commit()
    assert job.payload == {"v": 2}
    assert await _queued_ids(session_factory) == [job_id]
    assert (await load_job(session_factory, newer_id)).result == {"merged_into": job_id}


async def test_retry_of_a_job_that_is_not_dead_is_refused(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    async with session_factory() as session:
        with pytest.raises(JobNotDead, match=f"job {job_id} is queued") as refused:
            await retry_dead_job(session, job_id)
        assert refused.value.code == "job_not_dead"
        with pytest.raises(JobNotFound):
            await retry_dead_job(session, job_id + 1000)
    assert (await load_job(session_factory, job_id)).status == JobStatus.QUEUED


async def test_release_installation_jobs_makes_waiting_jobs_due(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    other_installation = await add_installation(session_factory, name="Other")
    waiting = await add_job(session_factory, installation_id, clock, delay_seconds=600)
    due = await add_job(session_factory, installation_id, clock, delay_seconds=-5)
    other = await add_job(session_factory, other_installation, clock, delay_seconds=600)
    async with session_factory() as session:
        released = await release_installation_jobs(session, installation_id, now=clock.now)
        await session.commit()
    assert released == 1
    assert (await load_job(session_factory, waiting)).run_after == clock.now
    assert (await load_job(session_factory, due)).run_after == clock.now - timedelta(seconds=5)
    assert (await load_job(session_factory, other)).run_after == clock.now + timedelta(seconds=600)


async def test_the_unique_queued_index_really_guards_requeues(session_factory: Factory) -> None:
    """Without the merge, flipping a second job of the entity back to queued must fail."""
    clock = FakeClock()
    installation_id, job_id = await _dead_job(session_factory, clock, "5")
    await add_job(session_factory, installation_id, clock, entity_id="5")
    async with session_factory() as session:
        with pytest.raises(IntegrityError):
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(status=JobStatus.QUEUED)
            )
