"""Operator API: sync jobs (``/api/jobs``): find them, see their attempts, retry dead ones."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from upsales_fortnox.api.cursors import job_cursor_id
from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import (
    DEFAULT_PAGE_SIZE,
    INT64_MAX,
    MAX_PAGE_SIZE,
    CursorPage,
    FortnoxIdQuery,
    error_responses,
)
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.installations.service import check_named_installation
from upsales_fortnox.jobs import JobNotFound, retry_dead_job
from upsales_fortnox.jobs.schemas import JobDetail, JobSummary
from upsales_fortnox.jobs.store.job_queries import find_jobs, job_with_attempts
from upsales_fortnox.vocabulary import JobKind, JobStatus

router = APIRouter(
    prefix="/api/jobs",
    tags=["jobs"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 422),
)

JobId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class JobPage(CursorPage[JobSummary]):
    pass


async def _job_detail(session: DbSession, job_id: int) -> JobDetail:
    found = await job_with_attempts(session, job_id)
    if found is None:
        raise JobNotFound(job_id)
    job, attempts = found
    return JobDetail.from_job(job, attempts)


@router.get(
    "",
    response_model=JobPage,
    summary="List jobs",
    description="Newest first. Page with `cursor` (the previous page's `next_cursor`). An "
    "`installation_id` of no installation is 404 `installation_not_found`, as on the command "
    "line: a mistyped id does not read as a customer without jobs.",
    responses=error_responses(404),
)
async def get_jobs(
    session: SessionDep,
    installation_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    kind: JobKind | None = None,
    entity_id: FortnoxIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> JobPage:
    with operator_errors():
        await check_named_installation(session, installation_id)
    jobs = await find_jobs(
        session,
        installation_id=installation_id,
        status=status,
        kind=kind,
        entity_id=entity_id,
        before_id=job_cursor_id(cursor),
        limit=limit + 1,
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
    description="Queues the dead job again (attempts reset, due now, `last_error` kept) and "
    "returns it. When a job for the same entity is already queued, that one is folded into it: "
    'marked done with `result: {"merged_into": id}`, its payload (the later hint) taken over. '
    "`job_not_dead` (409) for any other status.",
    responses=error_responses(404, 409),
)
async def post_job_retry(job_id: JobId, session: SessionDep) -> JobDetail:
    with operator_errors():
        job = await retry_dead_job(session, job_id)
        await session.commit()
        return await _job_detail(session, job.id)
