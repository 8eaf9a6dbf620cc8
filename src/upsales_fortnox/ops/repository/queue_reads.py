"""The queue as operators read it: figures for health, metrics, alerts and the console, and the
dead jobs a bulk retry picks. Reads only (``sync_jobs`` is written by the job queue's store).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError, FortnoxClientRejected
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden
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
    """Since when the job that has waited longest has waited: due, riding out an outage past
    its attempts, or left running by a stopped worker (:func:`_waiting`)."""
    dead_unsettled: int = 0
    """Of ``dead``: those no later job of their entity settled (:func:`_settled`), which the
    health's ``dead_jobs`` reason counts, as the dead-job alert does."""
    dead_refused_by_upsales: int = 0
    """Of ``dead_unsettled``: Upsales refused them (``upsales_unauthorized``, or
    ``upsales_forbidden``, which may be the key's user's access: a new key requeues both, see
    :mod:`upsales_fortnox.sync.inbound.deal_retry`)."""
    dead_refused_by_fortnox: int = 0
    """Of ``dead_unsettled``: Fortnox refused the login's access (``fortnox_auth_failed``)."""
    client_rejected: int = 0
    """Jobs not done (waiting for their next try, or dead once the outage outlasted
    ``JOB_OUTAGE_PATIENCE_HOURS``) whose last try met Fortnox refusing the service's own client
    id and secret (``fortnox_client_rejected``)."""


@dataclass(frozen=True)
class DeadJobFilter:
    installation_id: uuid.UUID | None = None
    kind: str | None = None
    reason_code: str | None = None
    """The code before the colon of the job's ``last_error`` (``product_not_in_fortnox``)."""
    died_from: datetime | None = None
    died_before: datetime | None = None
    unsettled_only: bool = False
    """Leave out the dead jobs a later job of their entity settled (:func:`_settled`): retrying
    those syncs again what is synced already."""


def _reason_is(code: str) -> ColumnElement[bool]:
    """The job's stored error (``"<code>: <message>"``) has this code."""
    return SyncJob.last_error.startswith(f"{code}:", autoescape=True)


def _settled() -> ColumnElement[bool]:
    """The dead job is settled: a job of the same installation, kind and entity (or of none,
    as a reconciliation's) was done after it died, the deal fixed and synced, or deleted in
    Upsales since (done, skipped as ``order_deleted_document_kept``). Nothing waits for an
    operator then; the job stays in the dead-job list, marked settled."""
    later = aliased(SyncJob)

    def done_after(same_entity: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            later.installation_id == SyncJob.installation_id,
            later.kind == SyncJob.kind,
            same_entity,
            later.status == JobStatus.DONE,
            or_(
                later.finished_at > SyncJob.finished_at,
                and_(later.finished_at == SyncJob.finished_at, later.id > SyncJob.id),
            ),
        )

    # Equality and IS NULL, each its own lookup: PostgreSQL takes IS NOT DISTINCT FROM as no
    # index condition, and read every done job to answer it.
    return done_after(later.entity_id == SyncJob.entity_id) | (
        SyncJob.entity_id.is_(None) & done_after(later.entity_id.is_(None))
    )


def dead_unsettled() -> ColumnElement[bool]:
    """The dead jobs that wait for someone: what the dead-job alert and the health count."""
    return (SyncJob.status == JobStatus.DEAD) & ~_settled()


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
    if selection.unsettled_only:
        conditions.append(~_settled())
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


@dataclass(frozen=True)
class DeadJob:
    job: SyncJob
    installation_name: str
    """The name of the installation the job is of, so a list of every customer's dead jobs
    says whose each one is."""
    settled: bool = False
    """A later job of its entity was done (:func:`_settled`): it raises no alert."""


async def dead_jobs(
    session: AsyncSession, limit: int, *, before_id: int | None = None
) -> list[DeadJob]:
    """The newest dead jobs (those older than job ``before_id``, when given), newest first."""
    query = (
        select(SyncJob, Installation.name, _settled())
        .join(Installation, Installation.id == SyncJob.installation_id)
        .where(SyncJob.status == JobStatus.DEAD.value)
    )
    if before_id is not None:
        query = query.where(SyncJob.id < before_id)
    rows = await session.execute(query.order_by(SyncJob.id.desc()).limit(limit))
    return [DeadJob(job, name, bool(settled)) for job, name, settled in rows]


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


def _served_by_workers() -> ColumnElement[bool]:
    """The job's installation is active: workers run its jobs. (A paused one's, or one's
    waiting for a Fortnox login, wait for someone to act; its status says so.)"""
    return SyncJob.installation_id.in_(
        select(Installation.id).where(Installation.status == InstallationStatus.ACTIVE)
    )


def _waiting(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[datetime]]:
    """Which jobs wait to run at ``now``, and since when. A due job waits from its due time
    (queued, back from a backoff, or retried by an operator). A job past its attempts rides out
    an outage of Fortnox, Upsales or the database (``JOB_OUTAGE_PATIENCE_HOURS``) with its next
    try always ahead of it: it waits from when it was queued, so the outage shows in the queue's
    age however its tries are spaced. A job left running by a worker that stopped waits from
    its lease's end, when a worker may take it up (as the claim reads it), so workers all gone
    show in the queue's age even with nothing else queued."""
    riding_out = SyncJob.attempts >= SyncJob.max_attempts
    orphaned = (SyncJob.status == JobStatus.RUNNING) & (SyncJob.lease_expires_at < now)
    queued = (SyncJob.status == JobStatus.QUEUED) & ((SyncJob.run_after <= now) | riding_out)
    since = case(
        (orphaned, SyncJob.lease_expires_at),
        (riding_out, SyncJob.created_at),
        else_=SyncJob.run_after,
    )
    return queued | orphaned, since


async def oldest_due_at(session: AsyncSession, now: datetime) -> datetime | None:
    """Since when the job that has waited longest at ``now``, of those a worker may run, has
    waited (:func:`_waiting`)."""
    waiting, since = _waiting(now)
    oldest = await session.scalar(select(func.min(since)).where(waiting, _served_by_workers()))
    return _as_datetime(oldest, now)


async def count_unsettled_dead_jobs(session: AsyncSession) -> int:
    """How many dead jobs no later job settled, of every installation (:func:`_settled`)."""
    return int(await session.scalar(select(func.count()).where(dead_unsettled())) or 0)


async def dead_jobs_by_kind(session: AsyncSession) -> list[tuple[uuid.UUID, str, int]]:
    """How many dead jobs each installation has that no later job settled, by kind."""
    rows = await session.execute(
        select(SyncJob.installation_id, SyncJob.kind, func.count())
        .where(dead_unsettled())
        .group_by(SyncJob.installation_id, SyncJob.kind)
    )
    return [(installation_id, kind, count) for installation_id, kind, count in rows]


async def due_jobs_waiting_since(
    session: AsyncSession, now: datetime, queued_before: datetime
) -> list[tuple[uuid.UUID, datetime]]:
    """The active installations whose longest-waiting job (:func:`_waiting`) has waited since
    before ``queued_before``, with since when."""
    waiting, since = _waiting(now)
    rows = await session.execute(
        select(SyncJob.installation_id, func.min(since))
        .where(waiting, _served_by_workers())
        .group_by(SyncJob.installation_id)
        .having(func.min(since) < queued_before)
    )
    found = ((installation_id, _as_datetime(oldest, now)) for installation_id, oldest in rows)
    return [(installation_id, oldest) for installation_id, oldest in found if oldest is not None]


async def jobs_client_rejected(session: AsyncSession) -> tuple[int, int]:
    """``(jobs, installations)``: the jobs waiting (queued or running), of every installation,
    whose last try met Fortnox refusing the service's own client id and secret
    (``fortnox_client_rejected``); one dead past the outage patience is a dead job, told as
    such, and clears this once the secret is right."""
    row = (
        await session.execute(
            select(func.count(), func.count(SyncJob.installation_id.distinct())).where(
                SyncJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                _reason_is(FortnoxClientRejected.code),
            )
        )
    ).one()
    return row[0], row[1]


async def queue_figures(
    session: AsyncSession, installation_id: uuid.UUID, now: datetime
) -> QueueFigures:
    """One installation's jobs: queued, due, running, dead (and of those, not settled), and
    since when the one that has waited longest has waited (:func:`_waiting`)."""
    is_due = (SyncJob.status == JobStatus.QUEUED) & (SyncJob.run_after <= now)
    waiting, since = _waiting(now)
    is_dead = SyncJob.status == JobStatus.DEAD
    unsettled = dead_unsettled()
    refused_by_upsales = _reason_is(UpsalesAuthError.code) | _reason_is(UpsalesForbidden.code)
    row = (
        await session.execute(
            select(
                func.count().filter(SyncJob.status == JobStatus.QUEUED),
                func.count().filter(is_due),
                func.count().filter(SyncJob.status == JobStatus.RUNNING),
                func.count().filter(is_dead),
                func.min(case((waiting, since))),
                func.count().filter(unsettled),
                func.count().filter(unsettled & refused_by_upsales),
                func.count().filter(unsettled & _reason_is(FortnoxAuthError.code)),
                func.count().filter(
                    (SyncJob.status != JobStatus.DEAD) & _reason_is(FortnoxClientRejected.code)
                ),
            ).where(
                SyncJob.installation_id == installation_id,
                SyncJob.status != JobStatus.DONE,
            )
        )
    ).one()
    oldest = _as_datetime(row[4], now)
    return QueueFigures(row[0], row[1], row[2], row[3], oldest, *row[5:9])


def _as_datetime(value: datetime | str | None, now: datetime) -> datetime | None:
    """A MIN() over a CASE as a datetime in ``now``'s zone (SQLite returns it untyped)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=now.tzinfo)
    return value
