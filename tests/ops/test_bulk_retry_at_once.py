"""A bulk retry of dead jobs is set-based: a fixed number of statements however many jobs it
takes (it ran a few statements per job inside the request), with the outcome of retrying each
job on its own, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.jobs.support import add_installation
from upsales_fortnox.jobs import retry_dead_job
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.ops.bulk import MAX_BULK_RETRY, retry_dead_jobs
from upsales_fortnox.ops.repository.queue_reads import DeadJobFilter, dead_job_ids
from upsales_fortnox.vocabulary import EventSource, JobStatus

Factory = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DIED = NOW - timedelta(hours=1)


def _dead(installation_id: uuid.UUID, entity_id: str | None, hint: str, **fields: Any) -> SyncJob:
    return SyncJob(
        installation_id=installation_id,
        kind=fields.pop("kind", "upsales.order"),
        entity_id=entity_id,
        status=fields.pop("status", JobStatus.DEAD),
        attempts=8,
        last_error=f"fortnox_refused: {hint}",
        payload={"hint": hint},
        finished_at=fields.pop("finished_at", DIED),
        run_after=fields.pop("run_after", DIED),
    )


def _queued(installation_id: uuid.UUID, entity_id: str, hint: str) -> SyncJob:
    return _dead(
        installation_id,
        entity_id,
        hint,
        status=JobStatus.QUEUED,
        finished_at=None,
        run_after=NOW + timedelta(minutes=5),
    )


async def _seed(session_factory: Factory, rounds: int, tag: str) -> None:
    """Every shape a bulk retry meets, ``rounds`` times: a lone dead job, two and three dead
    jobs of one entity, a dead job with a job queued for its entity since, the same entity
    under another kind and another installation, a job of no entity, and jobs not dead."""
    mine = await add_installation(session_factory, name=f"Mine {tag}")
    other = await add_installation(session_factory, name=f"Other {tag}")
    async with session_factory() as session:
        for n in range(rounds):
            key = f"{tag}{n}"
            jobs = [
                _dead(mine, f"lone-{key}", "lone"),
                _dead(mine, f"pair-{key}", "pair first"),
                _dead(mine, f"pair-{key}", "pair later"),
                _dead(mine, f"three-{key}", "three 1"),
                _dead(mine, f"three-{key}", "three 2"),
                _dead(mine, f"three-{key}", "three 3"),
                _dead(mine, f"waiting-{key}", "dead before"),
                _queued(mine, f"waiting-{key}", "queued since"),
                _dead(mine, f"both-{key}", "both 1"),
                _dead(mine, f"both-{key}", "both 2"),
                _queued(mine, f"both-{key}", "both queued"),
                _dead(mine, f"lone-{key}", "other kind", kind="upsales.company"),
                _dead(other, f"lone-{key}", "other installation"),
                _dead(mine, None, "no entity"),
                _dead(mine, f"done-{key}", "done", status=JobStatus.DONE),
                _queued(mine, f"alone-{key}", "queued alone"),
            ]
            session.add_all(jobs)
            await session.flush()
            session.add_all(
                InboundEvent(
                    installation_id=job.installation_id,
                    source=EventSource.UPSALES,
                    dedupe_key=f"event-{job.id}",
                    event_type="order.updated",
                    entity_type="order",
                    entity_id=job.entity_id,
                    payload={},
                    job_id=job.id,
                )
                for job in jobs
            )
        await session.commit()


def _through_merges(results: dict[int, Any], job_id: int) -> int:
    """The job ``job_id`` was folded into, through any chain of merges; itself if none."""
    while (result := results.get(job_id)) and "merged_into" in result:
        job_id = result["merged_into"]
    return job_id


async def _snapshot(session: AsyncSession) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
    """Every job as stored (a merge named by the job it ends in) and every event's job."""
    rows = (await session.execute(select(SyncJob).order_by(SyncJob.id))).scalars().all()
    results = {job.id: job.result for job in rows}
    jobs = [
        (
            job.id,
            job.status,
            job.attempts,
            job.run_after,
            job.finished_at,
            {"merged_into": _through_merges(results, job.id)}
            if job.result and "merged_into" in job.result
            else job.result,
            job.lease_owner,
            job.lease_expires_at,
            job.last_error,
            job.payload,
            job.updated_at,
        )
        for job in rows
    ]
    events = await session.execute(select(InboundEvent.id, InboundEvent.job_id))
    return jobs, sorted((event_id, _through_merges(results, job_id)) for event_id, job_id in events)


async def test_a_bulk_retry_leaves_what_retrying_each_job_newest_first_leaves(
    session_factory: Factory,
) -> None:
    await _seed(session_factory, rounds=3, tag="a")
    async with session_factory() as session:
        job_ids = await dead_job_ids(session, DeadJobFilter(), MAX_BULK_RETRY)
        for job_id in reversed(job_ids):
            await retry_dead_job(session, job_id, now=NOW)
        one_by_one = await _snapshot(session)
        await session.rollback()
    async with session_factory() as session:
        result = await retry_dead_jobs(session, DeadJobFilter(), now=NOW)
        await session.commit()
    async with session_factory() as session:
        at_once = await _snapshot(session)

    assert at_once == one_by_one
    assert result.matched == len(job_ids) == 3 * 12
    results = {row[0]: row[5] for row in at_once[0]}
    statuses = {row[0]: row[1] for row in at_once[0]}
    assert result.retried_job_ids == [_through_merges(results, i) for i in job_ids]
    assert {statuses[i] for i in result.retried_job_ids} == {JobStatus.QUEUED}
    for job_id in job_ids:  # each merged job names the job now queued in its place
        if statuses[job_id] == JobStatus.DONE:
            assert results[job_id] == {"merged_into": _through_merges(results, job_id)}


async def test_a_bulk_retry_takes_the_same_few_statements_for_many_jobs(
    session_factory: Factory, engine: AsyncEngine
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async def statements_of_a_bulk_retry() -> tuple[int, int]:
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with session_factory() as session:
                result = await retry_dead_jobs(session, DeadJobFilter(), now=NOW)
                await session.commit()
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        return len(statements), len(result.retried_job_ids)

    await _seed(session_factory, rounds=1, tag="few")
    few_statements, few_jobs = await statements_of_a_bulk_retry()
    await _seed(session_factory, rounds=30, tag="many")
    many_statements, many_jobs = await statements_of_a_bulk_retry()

    assert (few_jobs, many_jobs) == (12, 30 * 12)
    assert many_statements == few_statements <= 10  # PostgreSQL adds a savepoint
