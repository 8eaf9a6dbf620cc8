"""What the sync reads of the job queue's table (``sync_jobs``, written by the queue's store):
an order's latest job, the initial sync's, the dead deals to retry, a payment's synced result.
Each in the caller's session."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobKind, JobStatus

_UNFINISHED: Final = (JobStatus.QUEUED, JobStatus.RUNNING)


async def job_by_id(session: AsyncSession, job_id: int) -> SyncJob | None:
    return await session.get(SyncJob, job_id)


async def latest_job(
    session: AsyncSession, installation_id: uuid.UUID, kind: str, entity_id: str
) -> SyncJob | None:
    """The newest job of this kind for the entity, whatever its status."""
    return await session.scalar(
        select(SyncJob)
        .where(
            SyncJob.installation_id == installation_id,
            SyncJob.kind == kind,
            SyncJob.entity_id == entity_id,
        )
        .order_by(SyncJob.id.desc())
        .limit(1)
    )


async def unfinished_initial_sync(
    session: AsyncSession, installation_id: uuid.UUID
) -> SyncJob | None:
    """The newest initial sync still queued or running."""
    return await session.scalar(
        select(SyncJob)
        .where(
            SyncJob.installation_id == installation_id,
            SyncJob.kind == JobKind.INITIAL_SYNC,
            SyncJob.status.in_(_UNFINISHED),
        )
        .order_by(SyncJob.id.desc())
        .limit(1)
    )


async def latest_initial_sync(session: AsyncSession, installation_id: uuid.UUID) -> SyncJob | None:
    """The initial sync to report, read afresh even if the session holds it: the newest one
    still queued or running, else the one that ended last. A dead import retried after a new
    one was started takes that one over (merged into it, ended at once), so the newest job by
    id is not always the import that runs."""
    unfinished = case((SyncJob.status.in_(_UNFINISHED), 0), else_=1)
    return await session.scalar(
        select(SyncJob)
        .where(SyncJob.installation_id == installation_id, SyncJob.kind == JobKind.INITIAL_SYNC)
        .order_by(unfinished, SyncJob.finished_at.desc().nulls_last(), SyncJob.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def first_initial_sync_at(
    session: AsyncSession, installation_id: uuid.UUID
) -> datetime | None:
    """When the installation's first initial sync was queued; None without one."""
    return await session.scalar(
        select(func.min(SyncJob.created_at)).where(
            SyncJob.installation_id == installation_id, SyncJob.kind == JobKind.INITIAL_SYNC
        )
    )


async def dead_job_ids(
    session: AsyncSession, installation_id: uuid.UUID, error_prefix: str
) -> list[int]:
    """The installation's dead jobs whose stored error starts with ``error_prefix``, oldest
    first."""
    return list(
        await session.scalars(
            select(SyncJob.id)
            .where(
                SyncJob.installation_id == installation_id,
                SyncJob.status == JobStatus.DEAD,
                SyncJob.last_error.startswith(error_prefix, autoescape=True),
            )
            .order_by(SyncJob.id)
        )
    )


async def done_job_results(
    session: AsyncSession, installation_id: uuid.UUID, kind: str, entity_id: str
) -> list[dict[str, Any] | None]:
    """The stored results of the entity's jobs of this kind that are done, newest first."""
    return list(
        await session.scalars(
            select(SyncJob.result)
            .where(
                SyncJob.installation_id == installation_id,
                SyncJob.kind == kind,
                SyncJob.entity_id == entity_id,
                SyncJob.status == JobStatus.DONE,
            )
            .order_by(SyncJob.id.desc())
        )
    )
