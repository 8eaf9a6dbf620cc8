"""The queue as operators read it: figures for health, metrics, alerts and the console, and the
dead jobs a bulk retry picks. Reads only (``sync_jobs`` is written by the job queue's store).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus


@dataclass(frozen=True)
class QueueFigures:
    queued: int
    due: int
    running: int
    dead: int
    oldest_pending_at: datetime | None
    """Since when the oldest job that is due now has been due."""
    dead_refused_by_upsales: int = 0
    """Of ``dead``: Upsales refused them (``upsales_unauthorized``)."""
    dead_refused_by_fortnox: int = 0
    """Of ``dead``: Fortnox refused the login's access (``fortnox_auth_failed``)."""


@dataclass(frozen=True)
class DeadJobFilter:
    installation_id: uuid.UUID | None = None
    kind: str | None = None
    reason_code: str | None = None
    """The code before the colon of the job's ``last_error`` (``product_not_in_fortnox``)."""
    died_from: datetime | None = None
    died_before: datetime | None = None


def _reason_is(code: str) -> ColumnElement[bool]:
    """The job's stored error (``"<code>: <message>"``) has this code."""
    return SyncJob.last_error.startswith(f"{code}:", autoescape=True)


def _dead_job_conditions(selection: DeadJobFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [SyncJob.status == JobStatus.DEAD]
    if selection.installation_id is not None:
        conditions.append(SyncJob.installation_id == selection.installation_id)
    if selection.kind is not None:
        conditions.append(SyncJob.kind == selection.kind)
    if selection.reason_code is not None:
        conditions.append(_reason_is(selection.reason_code))
    if selection.died_from is not None:
        conditions.append(SyncJob.finished_at >= selection.died_from)
    if selection.died_before is not None:
        conditions.append(SyncJob.finished_at < selection.died_before)
    return conditions


async def count_dead_jobs(session: AsyncSession, selection: DeadJobFilter) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(SyncJob).where(*_dead_job_conditions(selection))
        )
        or 0
    )


async def dead_job_ids(session: AsyncSession, selection: DeadJobFilter, limit: int) -> list[int]:
    """The first ``limit`` matching dead jobs, oldest first."""
    return list(
        await session.scalars(
            select(SyncJob.id)
            .where(*_dead_job_conditions(selection))
            .order_by(SyncJob.id)
            .limit(limit)
        )
    )


async def dead_jobs(session: AsyncSession, limit: int = 100) -> list[SyncJob]:
    """The newest dead jobs."""
    return list(
        await session.scalars(
            select(SyncJob)
            .where(SyncJob.status == JobStatus.DEAD.value)
            .order_by(SyncJob.id.desc())
            .limit(limit)
        )
    )


async def fresh_job(session: AsyncSession, job_id: int) -> SyncJob | None:
    """The job as stored now (read again even if the session holds it already)."""
    return await session.get(SyncJob, job_id, populate_existing=True)


async def count_jobs_by_status(session: AsyncSession) -> dict[str, int]:
    """How many jobs have each status (every status named, 0 when none)."""
    rows = await session.execute(select(SyncJob.status, func.count()).group_by(SyncJob.status))
    counts = dict.fromkeys((status.value for status in JobStatus), 0)
    counts.update({str(status): int(count) for status, count in rows.all()})
    return counts


async def count_jobs_in_states(
    session: AsyncSession, states: Sequence[JobStatus]
) -> dict[str, int]:
    """How many jobs are in each of ``states`` (0 when none)."""
    rows = await session.execute(
        select(SyncJob.status, func.count())
        .where(SyncJob.status.in_([state.value for state in states]))
        .group_by(SyncJob.status)
    )
    depth = {state.value: 0 for state in states}
    depth.update({status: count for status, count in rows})
    return depth


async def oldest_queued_at(session: AsyncSession) -> datetime | None:
    """When the oldest queued job (due or not) was queued."""
    return await session.scalar(
        select(func.min(SyncJob.created_at)).where(SyncJob.status == JobStatus.QUEUED.value)
    )


def _served_by_workers() -> ColumnElement[bool]:
    """The job's installation is active: workers run its jobs. (A paused one's, or one's
    waiting for a Fortnox login, wait for someone to act; its status says so.)"""
    return SyncJob.installation_id.in_(
        select(Installation.id).where(Installation.status == InstallationStatus.ACTIVE)
    )


async def oldest_due_at(session: AsyncSession, now: datetime) -> datetime | None:
    """Since when the oldest job due at ``now`` that a worker may run has been due (a job
    waits from its due time: queued, back from a backoff, or retried by an operator)."""
    return await session.scalar(
        select(func.min(SyncJob.run_after)).where(
            SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now, _served_by_workers()
        )
    )


async def dead_jobs_by_kind(session: AsyncSession) -> list[tuple[uuid.UUID, str, int]]:
    """How many dead jobs each installation has, by kind."""
    rows = await session.execute(
        select(SyncJob.installation_id, SyncJob.kind, func.count())
        .where(SyncJob.status == JobStatus.DEAD)
        .group_by(SyncJob.installation_id, SyncJob.kind)
    )
    return [(installation_id, kind, count) for installation_id, kind, count in rows]


async def due_jobs_waiting_since(
    session: AsyncSession, now: datetime, queued_before: datetime
) -> list[tuple[uuid.UUID, datetime]]:
    """The active installations whose oldest job due at ``now`` has been due since before
    ``queued_before``, with since when."""
    rows = await session.execute(
        select(SyncJob.installation_id, func.min(SyncJob.run_after))
        .where(SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now, _served_by_workers())
        .group_by(SyncJob.installation_id)
        .having(func.min(SyncJob.run_after) < queued_before)
    )
    return [(installation_id, oldest) for installation_id, oldest in rows]


async def queue_figures(
    session: AsyncSession, installation_id: uuid.UUID, now: datetime
) -> QueueFigures:
    """One installation's jobs: queued, due, running, dead, and since when the oldest due one
    has been due."""
    is_due = (SyncJob.status == JobStatus.QUEUED) & (SyncJob.run_after <= now)
    is_dead = SyncJob.status == JobStatus.DEAD
    row = (
        await session.execute(
            select(
                func.count().filter(SyncJob.status == JobStatus.QUEUED),
                func.count().filter(is_due),
                func.count().filter(SyncJob.status == JobStatus.RUNNING),
                func.count().filter(is_dead),
                func.min(case((is_due, SyncJob.run_after))),
                func.count().filter(is_dead & _reason_is(UpsalesAuthError.code)),
                func.count().filter(is_dead & _reason_is(FortnoxAuthError.code)),
            ).where(
                SyncJob.installation_id == installation_id,
                SyncJob.status != JobStatus.DONE,
            )
        )
    ).one()
    oldest = row[4]
    if isinstance(oldest, str):  # SQLite returns MIN() over a CASE untyped
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return QueueFigures(row[0], row[1], row[2], row[3], oldest, row[5], row[6])
