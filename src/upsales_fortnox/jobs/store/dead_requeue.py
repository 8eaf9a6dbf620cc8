"""The bulk retry's writes: many dead jobs back on the queue in a few statements, however many
there are (:func:`~upsales_fortnox.jobs.requeue_plan.plan_requeue` decides the outcome). Runs
inside the caller's transaction and does not commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from upsales_fortnox.core.db.types import JSONDoc
from upsales_fortnox.intake.repository.event_jobs import move_events_to_jobs
from upsales_fortnox.jobs.requeue_plan import JobRow, RequeuePlan, plan_requeue
from upsales_fortnox.jobs.results import MergedInto
from upsales_fortnox.jobs.store.leases import is_postgresql
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

#: How often the requeue is tried again when a concurrent enqueue for one of its entities races it.
_TRIES = 3
_ROW = (SyncJob.id, SyncJob.installation_id, SyncJob.kind, SyncJob.entity_id, SyncJob.payload)


async def requeue_dead_jobs(
    session: AsyncSession, job_ids: Sequence[int], now: datetime
) -> dict[int, int]:
    """Put the jobs of ``job_ids`` that are still dead back on the queue, due now with their
    attempts reset, as retrying each newest first would (:func:`.operator_actions.retry_dead_job`);
    returns each one's id -> the id of the job queued in its place. A job no longer dead is
    left out. Does not commit."""
    if not job_ids:
        return {}
    if not is_postgresql(session):
        # SQLite: the first statement takes the write lock, so no enqueue can race the merges.
        return await _requeue(session, job_ids, now)
    for try_number in range(1, _TRIES + 1):
        try:
            async with session.begin_nested():
                return await _requeue(session, job_ids, now)
        except IntegrityError:  # an enqueue for one of the entities raced the merge
            if try_number == _TRIES:
                raise
    raise AssertionError("unreachable")


async def _requeue(session: AsyncSession, job_ids: Sequence[int], now: datetime) -> dict[int, int]:
    claimed = await session.execute(  # the rows stay locked (PostgreSQL) until the end
        update(SyncJob)
        .where(SyncJob.id.in_(job_ids), SyncJob.status == JobStatus.DEAD)
        .values(updated_at=now)
        .returning(*_ROW)
        .execution_options(synchronize_session=False)
    )
    dead = [JobRow(*row) for row in claimed]
    plan = plan_requeue(dead, await _queued_for(session, dead))
    await _write(session, plan, now)
    return plan.queued_in_place_of


async def _queued_for(session: AsyncSession, dead: Sequence[JobRow]) -> list[JobRow]:
    """The jobs queued for the entities of ``dead`` (locked on PostgreSQL)."""
    with_entity = [job.job_id for job in dead if job.entity_id is not None]
    if not with_entity:
        return []
    retried = aliased(SyncJob)
    query = (
        select(*_ROW)
        .join(
            retried,
            (retried.installation_id == SyncJob.installation_id)
            & (retried.kind == SyncJob.kind)
            & (retried.entity_id == SyncJob.entity_id),
        )
        .where(retried.id.in_(with_entity), SyncJob.status == JobStatus.QUEUED)
    )
    if is_postgresql(session):
        query = query.with_for_update(of=SyncJob)
    return [JobRow(*row) for row in await session.execute(query)]


def _by_id(values: Mapping[int, Any], otherwise: Any) -> ColumnElement[Any]:
    """A column's value for each job of ``values``, ``otherwise`` for the rest."""
    whens = {job_id: literal(value, JSONDoc) for job_id, value in values.items()}
    return case(whens, value=SyncJob.id, else_=otherwise) if whens else otherwise


def _merged(folded: Mapping[int, int]) -> ColumnElement[Any]:
    return _by_id({job: MergedInto(kept).to_json() for job, kept in folded.items()}, None)


async def _write(session: AsyncSession, plan: RequeuePlan, now: datetime) -> None:
    """The queued jobs merged away first: the index that keeps one queued job an entity then
    never sees two."""
    update_jobs = update(SyncJob).execution_options(synchronize_session=False)
    if plan.folded_queued:
        await session.execute(
            update_jobs.where(SyncJob.id.in_(plan.folded_queued)).values(
                status=JobStatus.DONE,
                finished_at=now,
                result=_merged(plan.folded_queued),
                updated_at=now,
            )
        )
    fresh: dict[str, Any] = {
        "attempts": 0,
        "run_after": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
        "payload": _by_id(plan.payloads, SyncJob.payload),
    }
    await session.execute(
        update_jobs.where(SyncJob.id.in_(plan.requeued)).values(
            status=JobStatus.QUEUED, finished_at=None, result=None, **fresh
        )
    )
    if plan.folded_dead:
        await session.execute(
            update_jobs.where(SyncJob.id.in_(plan.folded_dead)).values(
                status=JobStatus.DONE, finished_at=now, result=_merged(plan.folded_dead), **fresh
            )
        )
    await move_events_to_jobs(session, plan.folded)
