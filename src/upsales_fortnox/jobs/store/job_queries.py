"""The operator API's reads of jobs: a page of jobs newest first, and one job with its
attempts."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from upsales_fortnox.models.job import JobAttempt, SyncJob
from upsales_fortnox.vocabulary import JobStatus


async def find_jobs(
    session: AsyncSession,
    *,
    installation_id: uuid.UUID | None,
    status: JobStatus | None,
    kind: str | None,
    entity_id: str | None,
    before_id: int | None,
    limit: int,
) -> list[SyncJob]:
    """Up to ``limit`` jobs matching every filter given, newest (highest id) first, with ids
    below ``before_id`` when given."""
    conditions: list[ColumnElement[bool]] = []
    if installation_id is not None:
        conditions.append(SyncJob.installation_id == installation_id)
    if status is not None:
        conditions.append(SyncJob.status == status.value)
    if kind is not None:
        conditions.append(SyncJob.kind == kind)
    if entity_id is not None:
        conditions.append(SyncJob.entity_id == entity_id)
    if before_id is not None:
        conditions.append(SyncJob.id < before_id)
    return list(
        await session.scalars(
            select(SyncJob).where(*conditions).order_by(SyncJob.id.desc()).limit(limit)
        )
    )


async def job_with_attempts(
    session: AsyncSession, job_id: int
) -> tuple[SyncJob, list[JobAttempt]] | None:
    """The job as stored now (read again even if the session holds it) and its attempts, or
    ``None`` when there is no such job."""
    job = await session.scalar(
        select(SyncJob)
        .where(SyncJob.id == job_id)
        .options(selectinload(SyncJob.attempt_log))
        .execution_options(populate_existing=True)
    )
    if job is None:
        return None
    return job, list(job.attempt_log)
