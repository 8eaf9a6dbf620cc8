"""Operator API: sync jobs (``/api/jobs``): find them, see their attempts, retry dead ones."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.schemas import (
    DEFAULT_PAGE_SIZE,
    INT64_MAX,
    MAX_PAGE_SIZE,
    TEXT_WITHOUT_NUL,
    CursorPage,
    error_responses,
)
from upsales_fortnox.jobs import JobNotFound, retry_dead_job
from upsales_fortnox.jobs.schemas import JobDetail, JobSummary
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

router = APIRouter(
    prefix="/api/jobs",
    tags=["jobs"],
    dependencies=[AdminDep],
    responses=error_responses(401, 422),
)

JobId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class JobPage(CursorPage[JobSummary]):
    pass


def _cursor_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if cursor.isascii() and cursor.isdigit() and len(cursor) <= 19 and 0 < int(cursor) <= INT64_MAX:
        return int(cursor)
    raise ApiError(422, "invalid_cursor", "cursor is not one this API gave out")


async def _job_detail(session: AsyncSession, job_id: int) -> JobDetail:
    job = await session.scalar(
        select(SyncJob)
        .where(SyncJob.id == job_id)
        .options(selectinload(SyncJob.attempt_log))
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise JobNotFound(job_id)
    return JobDetail.from_job(job, list(job.attempt_log))


@router.get(
    "",
    response_model=JobPage,
    summary="List jobs",
    description="Newest first. Page with `cursor` (the previous page's `next_cursor`).",
)
async def get_jobs(
    session: SessionDep,
    installation_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=40, pattern=TEXT_WITHOUT_NUL)] = None,
    entity_id: Annotated[str | None, Query(max_length=50, pattern=TEXT_WITHOUT_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> JobPage:
    before_id = _cursor_id(cursor)
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
    jobs = list(
        await session.scalars(
            select(SyncJob).where(*conditions).order_by(SyncJob.id.desc()).limit(limit + 1)
        )
    )
    has_more = len(jobs) > limit
    jobs = jobs[:limit]
    return JobPage(
        items=[JobSummary.from_row(job) for job in jobs],
        limit=limit,
        next_cursor=str(jobs[-1].id) if has_more else None,
    )


@router.get(
    "/{job_id}",
    response_model=JobDetail,
    summary="Read a job with its attempts",
    responses=error_responses(404),
)
async def get_job(job_id: JobId, session: SessionDep) -> JobDetail:
    with operator_errors():
        return await _job_detail(session, job_id)


@router.post(
    "/{job_id}/retry",
    response_model=JobDetail,
    summary="Retry a dead job",
    description="Queues the dead job again (attempts reset, due now, `last_error` kept). When "
    "a job for the same entity is already queued, the dead one is marked done with "
    '`result: {"merged_into": id}` and the queued job is returned. `job_not_dead` (409) for '
    "any other status.",
    responses=error_responses(404, 409),
)
async def post_job_retry(job_id: JobId, session: SessionDep) -> JobDetail:
    with operator_errors():
        job = await retry_dead_job(session, job_id)
        await session.commit()
        return await _job_detail(session, job.id)
