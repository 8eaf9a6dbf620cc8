"""Operator actions on jobs, run inside the caller's transaction (none of them commits)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs.errors import JobNotDead, JobNotFound
from upsales_fortnox.jobs.store.leases import is_postgresql
from upsales_fortnox.jobs.store.requeue import absorb_queued_duplicate
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

_RETRY_TRIES = 3


async def retry_dead_job(
    session: AsyncSession, job_id: int, *, now: datetime | None = None
) -> SyncJob:
    """Put a dead job back on the queue, due now, with its attempts reset. Does not commit.

    If a job for the same entity is queued already, it is merged into this one (it becomes
    ``done`` with result ``{"merged_into": job_id}``). Raises :class:`JobNotFound` or
    :class:`JobNotDead`.
    """
    now = now or utcnow()
    if not is_postgresql(session):
        # SQLite: the first statement takes the write lock, so no enqueue can race the merge.
        await _requeue_dead_job(session, job_id, now)
    else:
        for try_number in range(1, _RETRY_TRIES + 1):
            try:
                async with session.begin_nested():
                    await _requeue_dead_job(session, job_id, now)
                break
            except IntegrityError:  # an enqueue for the same entity raced the merge
                if try_number == _RETRY_TRIES:
                    raise
    job = await session.get(SyncJob, job_id, populate_existing=True)
    assert job is not None
    return job


async def _requeue_dead_job(session: AsyncSession, job_id: int, now: datetime) -> None:
    row = (
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id, SyncJob.status == JobStatus.DEAD)
            .values(updated_at=now)
            .returning(SyncJob.installation_id, SyncJob.kind, SyncJob.entity_id)
        )
    ).first()
    if row is None:
        status = await session.scalar(select(SyncJob.status).where(SyncJob.id == job_id))
        if status is None:
            raise JobNotFound(job_id)
        raise JobNotDead(f"job {job_id} is {status}; only a dead job can be retried", status=status)
    values: dict[str, Any] = {
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "run_after": now,
        "finished_at": None,
        "result": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    newer = await absorb_queued_duplicate(
        session,
        job_id,
        installation_id=row.installation_id,
        kind=row.kind,
        entity_id=row.entity_id,
        now=now,
    )
    if newer is not None:
        values["payload"] = newer.payload
    await session.execute(update(SyncJob).where(SyncJob.id == job_id).values(**values))


async def release_installation_jobs(
    session: AsyncSession, installation_id: uuid.UUID, *, now: datetime | None = None
) -> int:
    """Make every queued job of the installation due now; returns how many were waiting.

    For resuming at once after a re-login: jobs that were backing off (for example after the
    refused token) need not wait out their backoff. Does not commit.
    """
    now = now or utcnow()
    result = await session.execute(
        update(SyncJob)
        .where(
            SyncJob.installation_id == installation_id,
            SyncJob.status == JobStatus.QUEUED,
            SyncJob.run_after > now,
        )
        .values(run_after=now, updated_at=now)
        .returning(SyncJob.id)
    )
    return len(result.all())
