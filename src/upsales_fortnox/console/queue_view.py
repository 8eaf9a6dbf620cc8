"""The queue as the console shows it: counts per status, the oldest waiting job, dead jobs
with their reason codes. (Bulk retry is :mod:`upsales_fortnox.ops.bulk`, as the API's.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.logging_setup import redact
from upsales_fortnox.ops.repository.queue_reads import count_jobs_by_status, oldest_due_at


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
    """The job error without its code (shown beside it), redacted as ``/api/jobs`` shows it
    (error texts come from remote APIs)."""
    text = redact(last_error or "")
    if reason_code(last_error) is None:
        return text
    return text.split(":", 1)[1].strip()


async def queue_summary(session: DbSession) -> QueueSummary:
    """The counts, and the job waiting longest as the queue-age alert, the installations'
    health and ``upsales_fortnox_queue_oldest_seconds`` read it: due (or riding out an outage)
    and of an active installation (a paused one's jobs wait for someone to act)."""
    counts = await count_jobs_by_status(session)
    now = utcnow()
    oldest = await oldest_due_at(session, now)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
    return QueueSummary(counts=counts, oldest_waiting_at=oldest, oldest_waiting_seconds=age)
