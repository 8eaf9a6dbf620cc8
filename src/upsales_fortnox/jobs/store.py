"""The job table's state changes, each in one short transaction.

Every change to a running job is fenced: it applies only while the job is still ``running``
under this worker's lease and at the same attempt count. A worker that lost its lease (it
stalled and another worker took the job over) therefore cannot overwrite the newer run's state.

On SQLite each transaction's first statement is a write, so it takes the database's write lock
at once (waiting up to the busy timeout) and never fails with "database is locked" on upgrading
a read to a write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.models import (
    AttemptOutcome,
    InboundEvent,
    Installation,
    InstallationStatus,
    JobAttempt,
    JobStatus,
    SyncJob,
)
from upsales_fortnox.jobs.leases import (
    drop_installation_lease,
    find_installations_to_serve,
    is_postgresql,
    job_is_due,
    renew_installation_lease,
    take_installation_leases,
)

Clock = Callable[[], datetime]

#: How often a requeue is tried again when a concurrent enqueue for the same entity races it.
_REQUEUE_TRIES = 3


class LeaseLost(Exception):
    """This worker no longer holds the lease of the job or installation it was working on."""


@dataclass(frozen=True)
class DueJob:
    job_id: int
    status: str
    attempts: int
    max_attempts: int

    @property
    def lease_expired(self) -> bool:
        return self.status == JobStatus.RUNNING


@dataclass(frozen=True)
class RunningJob:
    """A job this worker has started; ``attempts`` includes this run and fences every update."""

    job_id: int
    installation_id: uuid.UUID
    kind: str
    entity_id: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    attempt_id: int
    attempt_number: int
    recovered: bool
    """A previous run's lease had expired (its worker stopped) before this run started."""


def _installation_is_active() -> ColumnElement[bool]:
    return exists().where(
        Installation.id == SyncJob.installation_id,
        Installation.status == InstallationStatus.ACTIVE,
    )


async def absorb_queued_duplicate(
    session: AsyncSession,
    job_id: int,
    *,
    installation_id: uuid.UUID,
    kind: str,
    entity_id: str | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Before job ``job_id`` goes back to ``queued``: fold the queued job of the same entity
    into it, if one was enqueued meanwhile, so at most one stays queued.

    The other job becomes ``done`` with result ``{"merged_into": job_id}`` and its inbound
    events point to ``job_id``. Returns the other job's payload (the newer hint), or ``None``.
    """
    if entity_id is None:
        return None
    query = select(SyncJob.id, SyncJob.payload).where(
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
            result={"merged_into": job_id},
            updated_at=now,
        )
    )
    await session.execute(
        update(InboundEvent).where(InboundEvent.job_id == duplicate.id).values(job_id=job_id)
    )
    payload: dict[str, Any] = duplicate.payload
    return payload


class JobStore:
    """Leases and job state changes for one worker (``owner``)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        owner: str,
        lease: timedelta,
        clock: Clock,
    ) -> None:
        self._session_factory = session_factory
        self.owner = owner
        self._lease = lease
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    # Installation leases

    async def claim_installations(
        self, limit: int, *, exclude: Collection[uuid.UUID] = ()
    ) -> list[uuid.UUID]:
        """Lease up to ``limit`` active installations that have due jobs.

        On PostgreSQL the candidates stay locked until their leases are taken, in one
        transaction. On SQLite the candidates are read first and the leases taken in a separate
        write transaction; the conditional upsert keeps that correct.
        """
        now = self._clock()
        expires_at = now + self._lease
        async with self._session_factory() as session:
            if is_postgresql(session):
                async with session.begin():
                    candidates = await find_installations_to_serve(
                        session, now, limit=limit, exclude=exclude
                    )
                    return await take_installation_leases(
                        session, candidates, owner=self.owner, now=now, expires_at=expires_at
                    )
            candidates = await find_installations_to_serve(
                session, now, limit=limit, exclude=exclude
            )
            await session.rollback()
            if not candidates:
                return []
            async with session.begin():
                return await take_installation_leases(
                    session, candidates, owner=self.owner, now=now, expires_at=expires_at
                )

    async def release_installation(self, installation_id: uuid.UUID) -> None:
        async with self._session_factory() as session, session.begin():
            await drop_installation_lease(session, installation_id, owner=self.owner)

    # Picking and starting jobs

    async def next_due_job(self, installation_id: uuid.UUID) -> DueJob | None:
        """The installation's next job to run, in ``(run_after, id)`` order."""
        now = self._clock()
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(SyncJob.id, SyncJob.status, SyncJob.attempts, SyncJob.max_attempts)
                    .where(
                        SyncJob.installation_id == installation_id,
                        job_is_due(now),
                        _installation_is_active(),
                    )
                    .order_by(SyncJob.run_after, SyncJob.id)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return DueJob(
            job_id=row.id, status=row.status, attempts=row.attempts, max_attempts=row.max_attempts
        )

    async def start(self, installation_id: uuid.UUID, due: DueJob) -> RunningJob | None:
        """Mark the job running under our lease and open an attempt for it.

        Renews the installation lease first (raising :class:`LeaseLost` if it is gone). Returns
        ``None`` when the job is no longer due. An attempt left open by a worker whose lease
        expired is closed as ``lease_expired``.
        """
        now = self._clock()
        expires_at = now + self._lease
        async with self._session_factory() as session, session.begin():
            if not await renew_installation_lease(
                session, installation_id, owner=self.owner, expires_at=expires_at
            ):
                raise LeaseLost(f"installation {installation_id} lease lost")
            row = (
                await session.execute(
                    update(SyncJob)
                    .where(SyncJob.id == due.job_id, job_is_due(now), _installation_is_active())
                    .values(
                        status=JobStatus.RUNNING,
                        lease_owner=self.owner,
                        lease_expires_at=expires_at,
                        attempts=SyncJob.attempts + 1,
                        updated_at=now,
                        finished_at=None,
                    )
                    .returning(
                        SyncJob.installation_id,
                        SyncJob.kind,
                        SyncJob.entity_id,
                        SyncJob.payload,
                        SyncJob.attempts,
                        SyncJob.max_attempts,
                    )
                )
            ).first()
            if row is None:
                return None
            recovered = await self._close_expired_attempts(session, due.job_id, now)
            runs_before = await session.scalar(
                select(func.count()).where(JobAttempt.job_id == due.job_id)
            )
            number = (runs_before or 0) + 1
            attempt_id = await session.scalar(
                insert(JobAttempt)
                .values(job_id=due.job_id, number=number, worker_id=self.owner, started_at=now)
                .returning(JobAttempt.id)
            )
        assert attempt_id is not None
        return RunningJob(
            job_id=due.job_id,
            installation_id=row.installation_id,
            kind=row.kind,
            entity_id=row.entity_id,
            payload=dict(row.payload or {}),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            attempt_id=attempt_id,
            attempt_number=number,
            recovered=recovered,
        )

    async def bury_expired(self, due: DueJob, reason: str) -> bool:
        """A job whose worker stopped on its last attempt: ``dead`` without running again."""
        now = self._clock()
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    update(SyncJob)
                    .where(
                        SyncJob.id == due.job_id,
                        SyncJob.status == JobStatus.RUNNING,
                        SyncJob.lease_expires_at < now,
                        SyncJob.attempts >= SyncJob.max_attempts,
                    )
                    .values(
                        status=JobStatus.DEAD,
                        finished_at=now,
                        last_error=reason,
                        lease_owner=None,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                    .returning(SyncJob.id)
                )
            ).first()
            if row is None:
                return False
            await self._close_expired_attempts(session, due.job_id, now)
        return True

    @staticmethod
    async def _close_expired_attempts(session: AsyncSession, job_id: int, now: datetime) -> bool:
        result = await session.execute(
            update(JobAttempt)
            .where(JobAttempt.job_id == job_id, JobAttempt.finished_at.is_(None))
            .values(
                finished_at=now,
                outcome=AttemptOutcome.LEASE_EXPIRED,
                error="lease_expired: the worker running this attempt stopped renewing its lease",
            )
            .returning(JobAttempt.id)
        )
        return len(result.all()) > 0

    # While a job runs

    def _owned(self, job: RunningJob) -> ColumnElement[bool]:
        return (
            (SyncJob.id == job.job_id)
            & (SyncJob.status == JobStatus.RUNNING)
            & (SyncJob.lease_owner == self.owner)
            & (SyncJob.attempts == job.attempts)
        )

    async def renew(self, job: RunningJob, *, payload: dict[str, Any] | None = None) -> None:
        """Extend the job's and the installation's leases (saving ``payload`` if given).

        Raises :class:`LeaseLost` (and saves nothing) when either lease is no longer ours.
        """
        now = self._clock()
        expires_at = now + self._lease
        values: dict[str, Any] = {"lease_expires_at": expires_at, "updated_at": now}
        if payload is not None:
            values["payload"] = payload
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    update(SyncJob).where(self._owned(job)).values(**values).returning(SyncJob.id)
                )
            ).first()
            if row is None:
                raise LeaseLost(f"job {job.job_id} lease lost")
            if not await renew_installation_lease(
                session, job.installation_id, owner=self.owner, expires_at=expires_at
            ):
                raise LeaseLost(f"installation {job.installation_id} lease lost")

    async def checkpoint(self, job: RunningJob, payload: dict[str, Any]) -> None:
        await self.renew(job, payload=payload)

    # Ending a run

    async def complete(self, job: RunningJob, result: dict[str, Any] | None) -> bool:
        """``done`` with the handler's result; ``False`` if the job is no longer ours."""
        now = self._clock()
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    update(SyncJob)
                    .where(self._owned(job))
                    .values(
                        status=JobStatus.DONE,
                        result=result,
                        finished_at=now,
                        last_error=None,
                        lease_owner=None,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                    .returning(SyncJob.id)
                )
            ).first()
            if row is None:
                return False
            await self._finish_attempt(session, job, now, AttemptOutcome.DONE, None)
        return True

    async def bury(self, job: RunningJob, reason: str) -> bool:
        """``dead`` with ``reason``; an operator may retry it."""
        now = self._clock()
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    update(SyncJob)
                    .where(self._owned(job))
                    .values(
                        status=JobStatus.DEAD,
                        finished_at=now,
                        last_error=reason,
                        lease_owner=None,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                    .returning(SyncJob.id)
                )
            ).first()
            if row is None:
                return False
            await self._finish_attempt(session, job, now, AttemptOutcome.DEAD, reason)
        return True

    async def requeue(
        self,
        job: RunningJob,
        *,
        delay_seconds: float,
        outcome: AttemptOutcome,
        attempt_error: str,
        last_error: str | None,
        count_attempt: bool,
        park_installation: bool = False,
    ) -> bool:
        """Back to ``queued``, due after ``delay_seconds``; ``False`` if no longer ours.

        ``last_error=None`` keeps the job's previous error. ``count_attempt=False`` gives the
        attempt back. ``park_installation`` moves a still-active installation to
        ``needs_relogin`` with ``attempt_error`` as the reason, so none of its jobs is picked
        until it logs in again. A queued job of the same entity is merged into this one.
        """
        for try_number in range(1, _REQUEUE_TRIES + 1):
            try:
                return await self._requeue_once(
                    job,
                    delay_seconds=delay_seconds,
                    outcome=outcome,
                    attempt_error=attempt_error,
                    last_error=last_error,
                    count_attempt=count_attempt,
                    park_installation=park_installation,
                )
            except IntegrityError:  # an enqueue for the same entity raced our merge
                if try_number == _REQUEUE_TRIES:
                    raise
        raise AssertionError("unreachable")

    async def _requeue_once(
        self,
        job: RunningJob,
        *,
        delay_seconds: float,
        outcome: AttemptOutcome,
        attempt_error: str,
        last_error: str | None,
        count_attempt: bool,
        park_installation: bool,
    ) -> bool:
        now = self._clock()
        async with self._session_factory() as session, session.begin():
            fenced = (
                await session.execute(
                    update(SyncJob)
                    .where(self._owned(job))
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
            newer_payload = await absorb_queued_duplicate(
                session,
                job.job_id,
                installation_id=job.installation_id,
                kind=job.kind,
                entity_id=job.entity_id,
                now=now,
            )
            if newer_payload is not None:
                values["payload"] = newer_payload
            await session.execute(update(SyncJob).where(SyncJob.id == job.job_id).values(**values))
            await self._finish_attempt(session, job, now, outcome, attempt_error)
            if park_installation:
                await session.execute(
                    update(Installation)
                    .where(
                        Installation.id == job.installation_id,
                        Installation.status == InstallationStatus.ACTIVE,
                    )
                    .values(
                        status=InstallationStatus.NEEDS_RELOGIN,
                        status_reason=attempt_error,
                        version=Installation.version + 1,
                        updated_at=now,
                    )
                )
        return True

    @staticmethod
    async def _finish_attempt(
        session: AsyncSession,
        job: RunningJob,
        now: datetime,
        outcome: AttemptOutcome,
        error: str | None,
    ) -> None:
        await session.execute(
            update(JobAttempt)
            .where(JobAttempt.id == job.attempt_id)
            .values(finished_at=now, outcome=outcome, error=error)
        )
