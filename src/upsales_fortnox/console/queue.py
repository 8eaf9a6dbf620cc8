"""The queue as the console shows it: counts per status, the oldest waiting job, dead jobs
with their reason codes. (Bulk retry is :mod:`upsales_fortnox.ops.bulk`, as the API's.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus


@dataclass(frozen=True)
class QueueSummary:
    counts: dict[str, int]
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float | None


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
