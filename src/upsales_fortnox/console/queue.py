"""The queue as the console shows it: counts per status, the oldest waiting job, dead jobs,
and retrying dead jobs in bulk by filter (with a dry-run count first).

The bulk retry runs :func:`~upsales_fortnox.jobs.retry_dead_job` on each match, the function
the API's single retry uses; a store-level bulk operation can replace :func:`bulk_retry`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import JobStatus, SyncJob
from upsales_fortnox.db.types import utcnow
from upsales_fortnox.jobs import retry_dead_job

BULK_LIMIT = 1000
"""At most this many dead jobs are retried by one bulk action."""


@dataclass(frozen=True)
class QueueSummary:
    counts: dict[str, int]
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float | None


@dataclass(frozen=True)
class DeadJobFilter:
    installation_id: uuid.UUID | None = None
    kind: str | None = None
    reason_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [SyncJob.status == JobStatus.DEAD.value]
        if self.installation_id is not None:
            conditions.append(SyncJob.installation_id == self.installation_id)
        if self.kind:
            conditions.append(SyncJob.kind == self.kind)
        if self.reason_code:
            conditions.append(SyncJob.last_error.startswith(f"{self.reason_code}:"))
        if self.since is not None:
            conditions.append(SyncJob.updated_at >= self.since)
        if self.until is not None:
            conditions.append(SyncJob.updated_at < self.until)
        return conditions


def reason_code(last_error: str | None) -> str | None:
    """The stable code of a job error (``"<code>: <message>"``)."""
    if not last_error or ":" not in last_error:
        return None
    code = last_error.split(":", 1)[0]
    return code if code and " " not in code else None


def reason_message(last_error: str | None) -> str:
    """The job error without its code (shown beside it)."""
    if reason_code(last_error) is None:
        return last_error or ""
    return (last_error or "").split(":", 1)[1].strip()


async def queue_summary(session: AsyncSession) -> QueueSummary:
    rows = await session.execute(select(SyncJob.status, func.count()).group_by(SyncJob.status))
    counts = dict.fromkeys((status.value for status in JobStatus), 0)
    counts.update({str(status): int(count) for status, count in rows.all()})
    oldest = await session.scalar(
        select(func.min(SyncJob.created_at)).where(SyncJob.status == JobStatus.QUEUED.value)
    )
    age = (utcnow() - oldest).total_seconds() if oldest is not None else None
    return QueueSummary(counts=counts, oldest_waiting_at=oldest, oldest_waiting_seconds=age)


async def dead_jobs(session: AsyncSession, limit: int = 100) -> list[SyncJob]:
    return list(
        await session.scalars(
            select(SyncJob)
            .where(SyncJob.status == JobStatus.DEAD.value)
            .order_by(SyncJob.id.desc())
            .limit(limit)
        )
    )


async def count_dead(session: AsyncSession, dead_filter: DeadJobFilter) -> int:
    count = await session.scalar(
        select(func.count()).select_from(SyncJob).where(*dead_filter.conditions())
    )
    return int(count or 0)


async def bulk_retry(session: AsyncSession, dead_filter: DeadJobFilter) -> int:
    """Queue every matching dead job again (oldest first); how many were retried."""
    job_ids = list(
        await session.scalars(
            select(SyncJob.id)
            .where(*dead_filter.conditions())
            .order_by(SyncJob.id)
            .limit(BULK_LIMIT)
        )
    )
    for job_id in job_ids:
        await retry_dead_job(session, job_id)
    return len(job_ids)
