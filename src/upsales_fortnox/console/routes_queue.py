"""Console pages for the queue: counts, the oldest waiting job, dead jobs with their reasons,
one job's attempts, retry and bulk retry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from upsales_fortnox.api.deps import SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.schemas import INT64_MAX, Moment
from upsales_fortnox.console.forms import form_values, parse
from upsales_fortnox.console.guard import SessionRequired, checked_form
from upsales_fortnox.console.page_route import ConsolePageRoute
from upsales_fortnox.console.page_texts import TEXTS
from upsales_fortnox.console.queue_view import queue_summary, reason_code, reason_message
from upsales_fortnox.console.render import redirect, render, render_error
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.jobs import router as jobs_api
from upsales_fortnox.ops.bulk import MAX_BULK_RETRY, REASON_CODE_PATTERN, retry_dead_jobs
from upsales_fortnox.ops.repository.queue_reads import (
    DeadJob,
    DeadJobFilter,
    count_dead_jobs,
    dead_jobs,
)
from upsales_fortnox.vocabulary import JobKind

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsolePageRoute)
QUEUE_URL = "/console/queue"
JobId = Annotated[int, Path(ge=1, le=INT64_MAX)]
DEAD_SHOWN = 100
"""Dead jobs the queue page lists at a time (newest first); the next page lists older ones."""
BULK_RETRY_LIMIT = MAX_BULK_RETRY
"""Dead jobs one bulk retry queues again; its flash says how many more match."""


class BulkFilterForm(BaseModel):
    installation_id: uuid.UUID | None = None
    kind: JobKind | None = None
    reason_code: str | None = Field(default=None, pattern=REASON_CODE_PATTERN)
    since: Moment | None = None
    until: Moment | None = None
    unsettled_only: bool = False

    def to_filter(self) -> DeadJobFilter:
        return DeadJobFilter(
            installation_id=self.installation_id,
            kind=self.kind,
            reason_code=self.reason_code,
            died_from=_utc(self.since),
            died_before=_utc(self.until),
            unsettled_only=self.unsettled_only,
        )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _with_reasons(jobs: list[DeadJob]) -> list[tuple[DeadJob, str | None, str]]:
    return [
        (dead, reason_code(dead.job.last_error), reason_message(dead.job.last_error))
        for dead in jobs
    ]


async def _dead_page(db: DbSession, before: int | None = None) -> dict[str, object]:
    """A page of dead jobs (older than job ``before``), how many there are in all, and where
    the older ones are."""
    found = await dead_jobs(db, DEAD_SHOWN + 1, before_id=before)
    shown = found[:DEAD_SHOWN]
    return {
        "dead": _with_reasons(shown),
        "dead_total": await count_dead_jobs(db, DeadJobFilter()),
        "older_before": shown[-1].job.id if len(found) > DEAD_SHOWN else None,
        "newest_shown": before is None,
    }


@router.get("/queue")
async def get_queue(
    request: Request,
    session: SessionRequired,
    db: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
) -> Response:
    summary = await queue_summary(db)
    return render(
        request,
        "queue.html",
        {"summary": summary, **await _dead_page(db, before), "bulk": None, "bulk_form": {}},
        session=session,
    )


@router.get("/queue/summary.json")
async def get_queue_summary(session: SessionRequired, db: SessionDep) -> dict[str, object]:
    """What the queue page refreshes itself with."""
    summary = await queue_summary(db)
    return {"counts": summary.counts, "oldest_waiting_seconds": summary.oldest_waiting_seconds}


@router.get("/jobs/{job_id}")
async def get_job(
    request: Request, job_id: JobId, session: SessionRequired, db: SessionDep
) -> Response:
    try:
        job = await jobs_api.get_job(job_id, db)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=QUEUE_URL)
    return render(request, "job.html", {"job": job}, session=session)


@router.post("/jobs/{job_id}/retry")
async def post_job_retry(
    request: Request, job_id: JobId, session: SessionRequired, db: SessionDep
) -> Response:
    try:
        await checked_form(request, session)
        job = await jobs_api.post_job_retry(job_id, db)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=QUEUE_URL)
    flash = TEXTS["flash_job_retried"].format(job_id=job_id, queued_id=job.id, status=job.status)
    return redirect(f"/console/jobs/{job.id}", flash)


@router.post("/queue/bulk-retry")
async def post_bulk_retry(request: Request, session: SessionRequired, db: SessionDep) -> Response:
    try:
        form = await checked_form(request, session)
        values = form_values(
            form, "installation_id", "kind", "reason_code", "since", "until", "unsettled_only"
        )
        dead_filter = parse(BulkFilterForm, values).to_filter()
        if form.get("action") != "retry":
            count = await count_dead_jobs(db, dead_filter)
            summary = await queue_summary(db)
            return render(
                request,
                "queue.html",
                {
                    "summary": summary,
                    **await _dead_page(db),
                    "bulk": {"count": count},
                    "bulk_form": values,
                    "flash": TEXTS["flash_bulk_dry_run"].format(count=count),
                },
                session=session,
            )
        with operator_errors():
            result = await retry_dead_jobs(db, dead_filter, limit=BULK_RETRY_LIMIT)
            await db.commit()
        retried = len(result.retried_job_ids)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=QUEUE_URL)
    remaining = result.matched - retried
    flash = TEXTS["flash_bulk_done" if not remaining else "flash_bulk_done_partly"]
    return redirect(QUEUE_URL, flash.format(retried=retried, remaining=remaining))
