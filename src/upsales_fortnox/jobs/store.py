"""The job table's state changes, in short transactions: a job is started in one and its
outcome saved in another, which may also start the installation's next job.

Every change to a running job is fenced: it applies only while the job is still ``running``
under this worker's lease and at the same attempt count. A worker that lost its lease (it
stalled and another worker took the job over) therefore cannot overwrite the newer run's state.

On SQLite each transaction's first statement is a write, so it takes the database's write lock
at once (waiting up to the busy timeout) and never fails with "database is locked" on upgrading
a read to a write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.jobs.handlers import CompletionWrite
from upsales_fortnox.jobs.leases import (
    find_installations_to_serve,
    is_postgresql,
    take_installation_leases,
    take_over_running_jobs,
)
from upsales_fortnox.jobs.presence import WorkerPresence
from upsales_fortnox.jobs.statements import (
    BURY_JOB,
    CHECKPOINT_JOB,
    CLOSE_EXPIRED_ATTEMPTS,
    COMPLETE_JOB,
    DROP_INSTALLATION_LEASE,
    DUE_JOBS,
    FINISH_ATTEMPT,
    OPEN_ATTEMPT,
    RENEW_INSTALLATION_LEASE,
    RENEW_JOB,
    START_JOB,
)
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, InstallationStatus, JobStatus

Clock = Callable[[], datetime]

#: How often a requeue is tried again when a concurrent enqueue for the same entity races it.
_REQUEUE_TRIES = 3


class LeaseLost(Exception):
    """This worker no longer holds the lease of the job or installation it was working on."""


class OutcomeSavedLeaseLost(LeaseLost):
    """The job's outcome was saved, but the installation lease was gone when the next job was
    to start with it."""


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
    installation_version: int = 0
    settings_version: int = 0
    """The installation's and its settings' versions as the run started (0: no settings)."""


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


@dataclass(frozen=True)
class Completed:
    recorded: bool
    """``False``: the job was no longer ours, nothing was saved."""
    next_job: RunningJob | None = None
    """The next job, if one was asked for and started in the same transaction."""


class JobStore:
    """Leases and job state changes for one worker (``owner``).

    The changes every job goes through (picking, starting, renewing, finishing) run as
    prebuilt Core statements (:mod:`.statements`) on a connection of the session factory's
    engine: a transaction to start a job and one to record its outcome, or one alone when the
    previous job's outcome started it. The installation lease is extended as a job starts once
    a third of it has passed; before that the start only checks that the lease is still ours.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        owner: str,
        lease: timedelta,
        clock: Clock,
    ) -> None:
        self._session_factory = session_factory
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the job store needs a session factory bound to an AsyncEngine")
        self._engine = engine
        self.owner = owner
        self._lease = lease
        self._clock = clock
        self._renew_after = lease / 3
        #: Until when each installation we serve is leased to us, as last written by us.
        self._leased_until: dict[uuid.UUID, datetime] = {}
        self._presence = (
            WorkerPresence(engine, owner) if engine.dialect.name == "postgresql" else None
        )

    async def close(self) -> None:
        """Give up the presence lock (PostgreSQL); the next claim takes it again."""
        if self._presence is not None:
            await self._presence.close()

    def now(self) -> datetime:
        return self._clock()

    # Installation leases

    async def claim_installations(
        self, limit: int, *, exclude: Collection[uuid.UUID] = ()
    ) -> list[uuid.UUID]:
        """Lease up to ``limit`` active installations that have due jobs.

        On PostgreSQL the claim runs on the worker's presence connection (see
        :mod:`.presence`), the candidates locked until their leases are taken, in one
        transaction. On SQLite the candidates are read first and the leases taken in a separate
        write transaction; the conditional upsert keeps that correct.
        """
        now = self._clock()
        expires_at = now + self._lease
        if self._presence is not None:
            won = await self._claim_on_presence(limit, exclude, now, expires_at)
        else:
            async with self._session_factory() as session:
                candidates = await find_installations_to_serve(
                    session, now, limit=limit, exclude=exclude
                )
                await session.rollback()
                if not candidates:
                    return []
                async with session.begin():
                    won = await take_installation_leases(
                        session, candidates, owner=self.owner, now=now, expires_at=expires_at
                    )
        for installation_id in won:
            self._leased_until[installation_id] = expires_at
        return won

    async def _claim_on_presence(
        self, limit: int, exclude: Collection[uuid.UUID], now: datetime, expires_at: datetime
    ) -> list[uuid.UUID]:
        presence = self._presence
        assert presence is not None
        async with presence.lock:
            connection = await presence.connection()
            try:
                async with AsyncSession(bind=connection) as session, session.begin():
                    candidates = await find_installations_to_serve(
                        session, now, limit=limit, exclude=exclude
                    )
                    won = await take_installation_leases(
                        session, candidates, owner=self.owner, now=now, expires_at=expires_at
                    )
                    await take_over_running_jobs(session, won, owner=self.owner, now=now)
            except Exception:
                if connection.invalidated or connection.closed:
                    await presence.discard()
                raise
        return won

    async def release_installation(self, installation_id: uuid.UUID) -> None:
        self._leased_until.pop(installation_id, None)
        async with self._engine.begin() as connection:
            await connection.execute(
                DROP_INSTALLATION_LEASE,
                {"p_installation_id": installation_id, "p_owner": self.owner},
            )

    def _lease_needs_renewal(self, installation_id: uuid.UUID, now: datetime) -> bool:
        """Whether a third of the lease has passed since we last extended it (or we never did);
        until then starting a job only checks that the lease is still ours."""
        leased_until = self._leased_until.get(installation_id)
        return leased_until is None or leased_until - now < self._lease - self._renew_after

    async def _renew_installation_lease(
        self, connection: AsyncConnection, installation_id: uuid.UUID, expires_at: datetime
    ) -> None:
        renewed = await connection.execute(
            RENEW_INSTALLATION_LEASE,
            {
                "p_installation_id": installation_id,
                "p_owner": self.owner,
                "p_expires_at": expires_at,
            },
        )
        if renewed.first() is None:
            self._leased_until.pop(installation_id, None)
            raise LeaseLost(f"installation {installation_id} lease lost")
        self._leased_until[installation_id] = expires_at

    # Picking and starting jobs

    async def due_jobs(self, installation_id: uuid.UUID, limit: int) -> list[DueJob]:
        """The installation's next ``limit`` jobs to run, in ``(run_after, id)`` order.

        Only a hint: each is started with :meth:`start`, which checks again that it is due.
        """
        params = {"p_installation_id": installation_id, "p_now": self._clock(), "p_limit": limit}
        async with self._engine.connect() as connection:
            rows = (await connection.execute(DUE_JOBS, params)).all()
        return [DueJob(row.id, row.status, row.attempts, row.max_attempts) for row in rows]

    async def start(self, installation_id: uuid.UUID, due: DueJob) -> RunningJob | None:
        """Mark the job running under our lease and open an attempt for it, in one transaction.

        Extends the installation lease when a third of it has passed (raising
        :class:`LeaseLost` if it is no longer ours). Returns ``None`` when the job is no
        longer due as it was read. An attempt left open by a worker whose lease expired is
        closed as ``lease_expired``.
        """
        async with self._engine.begin() as connection:
            return await self._start_on(connection, installation_id, due, self._clock())

    async def _start_on(
        self, connection: AsyncConnection, installation_id: uuid.UUID, due: DueJob, now: datetime
    ) -> RunningJob | None:
        expires_at = now + self._lease
        params = {
            "p_job_id": due.job_id,
            "p_installation_id": installation_id,
            "p_expected_status": due.status,
            "p_owner": self.owner,
            "p_now": now,
            "p_expires_at": expires_at,
        }
        renewed = self._lease_needs_renewal(installation_id, now)
        if renewed:
            await self._renew_installation_lease(connection, installation_id, expires_at)
        row = (await connection.execute(START_JOB, params)).first()
        if row is None:
            if not renewed:  # the job, or the lease: raises LeaseLost if the lease is gone
                await self._renew_installation_lease(connection, installation_id, expires_at)
            return None
        recovered = False
        if due.lease_expired:
            closed = await connection.execute(CLOSE_EXPIRED_ATTEMPTS, params)
            recovered = len(closed.all()) > 0
        attempt = (await connection.execute(OPEN_ATTEMPT, params)).one()
        return RunningJob(
            job_id=due.job_id,
            installation_id=row.installation_id,
            kind=row.kind,
            entity_id=row.entity_id,
            payload=dict(row.payload or {}),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            attempt_id=attempt.id,
            attempt_number=attempt.number,
            recovered=recovered,
            installation_version=row.installation_version,
            settings_version=row.settings_version,
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
            await session.execute(CLOSE_EXPIRED_ATTEMPTS, {"p_job_id": due.job_id, "p_now": now})
        return True

    # While a job runs

    def _owned(self, job: RunningJob) -> ColumnElement[bool]:
        return (
            (SyncJob.id == job.job_id)
            & (SyncJob.status == JobStatus.RUNNING)
            & (SyncJob.lease_owner == self.owner)
            & (SyncJob.attempts == job.attempts)
        )

    def _fence(self, job: RunningJob) -> dict[str, Any]:
        return {"p_job_id": job.job_id, "p_owner": self.owner, "p_attempts": job.attempts}

    async def renew(self, job: RunningJob, *, payload: dict[str, Any] | None = None) -> None:
        """Extend the job's and the installation's leases (saving ``payload`` if given).

        Raises :class:`LeaseLost` (and saves nothing) when either lease is no longer ours.
        """
        now = self._clock()
        expires_at = now + self._lease
        params = {**self._fence(job), "p_now": now, "p_expires_at": expires_at}
        statement = RENEW_JOB
        if payload is not None:
            params["p_payload"] = payload
            statement = CHECKPOINT_JOB
        async with self._engine.begin() as connection:
            if (await connection.execute(statement, params)).first() is None:
                raise LeaseLost(f"job {job.job_id} lease lost")
            await self._renew_installation_lease(connection, job.installation_id, expires_at)

    async def checkpoint(self, job: RunningJob, payload: dict[str, Any]) -> None:
        await self.renew(job, payload=payload)

    # Ending a run

    async def complete(
        self,
        job: RunningJob,
        result: dict[str, Any] | None,
        *,
        then: DueJob | None = None,
        writes: Sequence[CompletionWrite] = (),
    ) -> Completed:
        """``done`` with the handler's result, unless the job is no longer ours.

        ``writes`` (the handler's :meth:`~.JobContext.save_with_completion`) run in the same
        transaction. With ``then`` (the installation's next due job) that job is started in it
        too, as :meth:`start` would. If the installation lease turns out to be lost,
        the completion is still saved and :class:`OutcomeSavedLeaseLost` raised after it.
        """
        now = self._clock()
        next_job = None
        lease_lost = False
        async with self._engine.begin() as connection:
            if not await self._finish_on(
                connection, job, COMPLETE_JOB, {"p_result": result}, AttemptOutcome.DONE, None, now
            ):
                return Completed(recorded=False)
            for write in writes:  # the handler's writes, only while the job is still ours
                await write(connection)
            if then is not None:
                try:
                    next_job = await self._start_on(connection, job.installation_id, then, now)
                except LeaseLost:  # nothing was written for the next job; keep the completion
                    lease_lost = True
        if lease_lost:
            raise OutcomeSavedLeaseLost(f"installation {job.installation_id} lease lost")
        return Completed(recorded=True, next_job=next_job)

    async def bury(self, job: RunningJob, reason: str) -> bool:
        """``dead`` with ``reason``; an operator may retry it."""
        now = self._clock()
        async with self._engine.begin() as connection:
            return await self._finish_on(
                connection, job, BURY_JOB, {"p_reason": reason}, AttemptOutcome.DEAD, reason, now
            )

    async def _finish_on(
        self,
        connection: AsyncConnection,
        job: RunningJob,
        statement: Any,
        values: dict[str, Any],
        outcome: AttemptOutcome,
        error: str | None,
        now: datetime,
    ) -> bool:
        fenced = await connection.execute(statement, {**self._fence(job), **values, "p_now": now})
        if fenced.first() is None:
            return False
        await connection.execute(
            FINISH_ATTEMPT,
            {"p_attempt_id": job.attempt_id, "p_now": now, "p_outcome": outcome, "p_error": error},
        )
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
            FINISH_ATTEMPT,
            {"p_attempt_id": job.attempt_id, "p_now": now, "p_outcome": outcome, "p_error": error},
        )
