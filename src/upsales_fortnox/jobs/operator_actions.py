"""What an operator can do to a job: put a dead job back on the queue.

Only one *queued* job may exist per (installation, kind, entity) (a partial unique index). When
one is already queued for the dead job's entity, the dead job is merged into it instead: it is
marked done with ``result = {"merged_into": <queued job id>}``, and the queued job (which will
re-read the entity from its source anyway) is returned.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import JobStatus, SyncJob
from upsales_fortnox.db.types import utcnow

_MAX_ROUNDS = 3
logger = logging.getLogger(__name__)


class JobNotFound(LookupError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class JobNotDead(Exception):
    """Only a dead job can be retried; ``status`` is the job's status now."""

    def __init__(self, job_id: int, status: str) -> None:
        super().__init__(f"job {job_id} is {status}; only a dead job can be retried")
        self.job_id = job_id
        self.status = status


class JobRetryConflict(Exception):
    """The job kept changing under the retry (other workers or operators); try again."""


async def _load(session: AsyncSession, job_id: int) -> SyncJob:
    job = await session.scalar(
        select(SyncJob)
        .where(SyncJob.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise JobNotFound(job_id)
    if job.status != JobStatus.DEAD:
        raise JobNotDead(job_id, job.status)
    return job


async def _queued_twin(session: AsyncSession, job: SyncJob) -> SyncJob | None:
    if job.entity_id is None:  # jobs without an entity never coalesce
        return None
    twin: SyncJob | None = await session.scalar(
        select(SyncJob).where(
            SyncJob.installation_id == job.installation_id,
            SyncJob.kind == job.kind,
            SyncJob.entity_id == job.entity_id,
            SyncJob.status == JobStatus.QUEUED,
        )
    )
    return twin


@asynccontextmanager
async def _statement_savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """A savepoint on PostgreSQL, where a unique violation aborts the whole transaction.

    SQLite needs none (and its driver would commit early on releasing one): it rolls back only
    the failing statement, and a single statement there runs alone, so the guarded update below
    cannot even race with an enqueue.
    """
    if session.get_bind().dialect.name == "postgresql":
        async with session.begin_nested():
            yield
    else:
        with nullcontext():
            yield


async def _guarded_update(session: AsyncSession, job_id: int, values: dict[str, Any]) -> bool:
    """Update the job only while it is still dead; False when it no longer is, or when a
    queued job for the same entity appeared meanwhile."""
    statement = (
        update(SyncJob)
        .where(SyncJob.id == job_id, SyncJob.status == JobStatus.DEAD)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    try:
        async with _statement_savepoint(session):
            result = cast(CursorResult[Any], await session.execute(statement))
    except IntegrityError:
        return False
    return result.rowcount == 1


async def retry_dead_job(
    session: AsyncSession, job_id: int, *, now: datetime | None = None
) -> SyncJob:
    """Queue a dead job again: attempts back to 0, due now, ``last_error`` kept for history.

    Returns the job that will run: this one, or the queued job it was merged into. Raises
    :class:`JobNotFound`, :class:`JobNotDead` or (rarely) :class:`JobRetryConflict`. Does not
    commit.
    """
    now = now or utcnow()
    for _ in range(_MAX_ROUNDS):
        job = await _load(session, job_id)
        twin = await _queued_twin(session, job)
        if twin is not None:
            merged = {
                "status": JobStatus.DONE.value,
                "result": {"merged_into": twin.id},
                "finished_at": now,
                "updated_at": now,
            }
            if await _guarded_update(session, job_id, merged):
                await session.refresh(job)
                logger.info("dead job merged into queued job %s", twin.id, extra={"job_id": job_id})
                return twin
            continue
        requeued = {
            "status": JobStatus.QUEUED.value,
            "attempts": 0,
            "run_after": now,
            "lease_owner": None,
            "lease_expires_at": None,
            "result": null(),
            "finished_at": None,
            "updated_at": now,
        }
        if await _guarded_update(session, job_id, requeued):
            await session.refresh(job)
            logger.info("dead job queued again", extra={"job_id": job_id})
            return job
    raise JobRetryConflict(f"job {job_id} changed while it was being retried")
