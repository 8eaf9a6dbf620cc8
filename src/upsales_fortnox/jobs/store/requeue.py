"""Putting a job back on the queue: after a failure worth retrying, when its installation must
log in again, or when the worker stops before it finished; at most one job per entity stays
queued (a queued duplicate is merged into the job going back, and as a change that arrived
since, restarts it: due when the duplicate was, with attempts of its own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.installations.repository.installation_rows import park_for_relogin
from upsales_fortnox.intake.repository.event_jobs import move_events_to_job
from upsales_fortnox.jobs.results import MergedInto
from upsales_fortnox.jobs.runs import Clock, RunningJob
from upsales_fortnox.jobs.store.leases import is_postgresql
from upsales_fortnox.jobs.store.statements import FINISH_ATTEMPT
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

#: How often a requeue is tried again when a concurrent enqueue for the same entity races it.
_REQUEUE_TRIES = 3


@dataclass(frozen=True)
class Absorbed:
    """The queued job merged into the one going back: the newer change."""

    payload: dict[str, Any]
    run_after: datetime


async def absorb_queued_duplicate(
    session: AsyncSession,
    job_id: int,
    *,
    installation_id: uuid.UUID,
    kind: str,
    entity_id: str | None,
    now: datetime,
) -> Absorbed | None:
    """Before job ``job_id`` goes back to ``queued``: fold the queued job of the same entity
    into it, if one was enqueued meanwhile, so at most one stays queued.

    The other job becomes ``done`` with result ``{"merged_into": job_id}`` and its inbound
    events point to ``job_id``. Returns the other job (its ``payload`` is the newer hint, its
    ``run_after`` when the newer change is due), or ``None``.
    """
    if entity_id is None:
        return None
    query = select(SyncJob.id, SyncJob.payload, SyncJob.run_after).where(
        SyncJob.installation_id == installation_id,
        SyncJob.kind == kind,
        SyncJob.entity_id == entity_id,
        SyncJob.status == JobStatus.QUEUED,
        SyncJob.id != job_id,
    )
    if is_postgresql(session):
        query = query.with_for_update()
    duplicate = (await session.execute(query)).first()
    if duplicate is None:
        return None
    await session.execute(
        update(SyncJob)
        .where(SyncJob.id == duplicate.id)
        .values(
            status=JobStatus.DONE,
            finished_at=now,
            result=MergedInto(job_id).to_json(),
            updated_at=now,
        )
    )
    await move_events_to_job(session, duplicate.id, job_id)
    return Absorbed(payload=duplicate.payload, run_after=duplicate.run_after)


def _owned_by(owner: str, job: RunningJob) -> ColumnElement[bool]:
    """The job's row while it still runs under ``owner``'s lease at this run's attempt."""
    return (
        (SyncJob.id == job.job_id)
        & (SyncJob.status == JobStatus.RUNNING)
        & (SyncJob.lease_owner == owner)
        & (SyncJob.attempts == job.attempts)
    )


async def requeue(
    session_factory: async_sessionmaker[AsyncSession],
    job: RunningJob,
    *,
    owner: str,
    clock: Clock,
    delay_seconds: float,
    outcome: AttemptOutcome,
    attempt_error: str,
    last_error: str | None,
    count_attempt: bool,
    park_installation: bool = False,
    refused_tokens: str | None = None,
) -> bool:
    """Back to ``queued``, due after ``delay_seconds``; ``False`` if no longer ``owner``'s.

    ``last_error=None`` keeps the job's previous error. ``count_attempt=False`` gives the
    attempt back. ``park_installation`` moves a still-active installation to
    ``needs_relogin`` with ``attempt_error`` as the reason, so none of its jobs is picked
    until it logs in again; with ``refused_tokens`` (the refused Fortnox tokens' fingerprint)
    only while they are still the stored ones: after a new login the job simply runs again.
    A queued job of the same entity is merged into this one, which then restarts as that
    newer change: due when it was, its attempts from zero.
    """
    for try_number in range(1, _REQUEUE_TRIES + 1):
        try:
            async with session_factory() as session, session.begin():
                return await _requeue_once(
                    session,
                    job,
                    owner=owner,
                    now=clock(),
                    delay_seconds=delay_seconds,
                    outcome=outcome,
                    attempt_error=attempt_error,
                    last_error=last_error,
                    count_attempt=count_attempt,
                    park_installation=park_installation,
                    refused_tokens=refused_tokens,
                )
        except IntegrityError:  # an enqueue for the same entity raced our merge
            if try_number == _REQUEUE_TRIES:
                raise
    raise AssertionError("unreachable")


async def _requeue_once(
    session: AsyncSession,
    job: RunningJob,
    *,
    owner: str,
    now: datetime,
    delay_seconds: float,
    outcome: AttemptOutcome,
    attempt_error: str,
    last_error: str | None,
    count_attempt: bool,
    park_installation: bool,
    refused_tokens: str | None,
) -> bool:
    fenced = (
        await session.execute(
            update(SyncJob)
            .where(_owned_by(owner, job))
            .values(updated_at=now)
            .returning(SyncJob.id)
        )
    ).first()
    if fenced is None:
        return False
    values: dict[str, Any] = {
        "status": JobStatus.QUEUED,
        "run_after": now + timedelta(seconds=delay_seconds),
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    if last_error is not None:
        values["last_error"] = last_error
    if not count_attempt:
        values["attempts"] = SyncJob.attempts - 1
    newer = await absorb_queued_duplicate(
        session,
        job.job_id,
        installation_id=job.installation_id,
        kind=job.kind,
        entity_id=job.entity_id,
        now=now,
    )
    if newer is not None:  # a change arrived while this ran: it has not been tried yet
        values["payload"] = newer.payload
        values["attempts"] = 0
        values["run_after"] = min(values["run_after"], newer.run_after)
    await session.execute(update(SyncJob).where(SyncJob.id == job.job_id).values(**values))
    await session.execute(
        FINISH_ATTEMPT,
        {
            "p_attempt_id": job.attempt_id,
            "p_now": now,
            "p_outcome": outcome,
            "p_error": attempt_error,
        },
    )
    if park_installation:
        await park_for_relogin(
            session, job.installation_id, attempt_error, now, refused_tokens=refused_tokens
        )
    return True
