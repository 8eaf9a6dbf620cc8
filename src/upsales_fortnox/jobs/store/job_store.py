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

import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.one_statement import one_statement
from upsales_fortnox.jobs.results import JsonObject
from upsales_fortnox.jobs.runs import (
    Clock,
    Completed,
    DueJob,
    LeaseLost,
    OutcomeSavedLeaseLost,
    RunningJob,
    running_job_of,
)
from upsales_fortnox.jobs.store.claims import InstallationClaims
from upsales_fortnox.jobs.store.lost_answers import completed_unanswered
from upsales_fortnox.jobs.store.paired_statements import (
    BURY_JOB_AND_ATTEMPT,
    COMPLETE_JOB_AND_ATTEMPT,
    START_JOB_WITH_ATTEMPT,
)
from upsales_fortnox.jobs.store.requeue import requeue
from upsales_fortnox.jobs.store.statements import (
    BURY_JOB,
    CHECKPOINT_JOB,
    CLOSE_EXPIRED_ATTEMPTS,
    COMPLETE_JOB,
    DUE_JOBS,
    FINISH_ATTEMPT,
    OPEN_ATTEMPT,
    RENEW_JOB,
    START_JOB,
)
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

CompletionWrite = Callable[[AsyncConnection], Awaitable[None]]
"""A write saved in the transaction that records the job done (see
:meth:`~upsales_fortnox.jobs.dispatch.JobContext.save_with_completion`); it is given that
transaction's connection."""

logger = logging.getLogger(__name__)

_FINISHES = {
    AttemptOutcome.DONE: (COMPLETE_JOB, COMPLETE_JOB_AND_ATTEMPT),
    AttemptOutcome.DEAD: (BURY_JOB, BURY_JOB_AND_ATTEMPT),
}
"""How a run ends: the fenced change of the job, and that with its attempt's (PostgreSQL)."""


class JobStore:
    """Leases and job state changes for one worker (``owner``).

    The changes every job goes through (picking, starting, renewing, finishing) run as
    prebuilt Core statements (:mod:`.statements`; on PostgreSQL a job's change and its
    attempt's in one, :mod:`.paired_statements`) on a connection of the session factory's
    engine: a transaction to start a job and one to record its outcome, or one alone when the
    previous job's outcome started it. The installation lease is extended as a job starts once
    a third of it has passed; before that the start only checks that the lease is still ours.
    ``claim_grace``: see :class:`.InstallationClaims`.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        owner: str,
        lease: timedelta,
        clock: Clock,
        claim_grace: timedelta = timedelta(seconds=1),
        on_presence_lost: Callable[[], None] | None = None,
    ) -> None:
        """``on_presence_lost``: told when this worker's presence in the database ended
        (PostgreSQL): other workers may take its installations over from then on."""
        self._session_factory = session_factory
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the job store needs a session factory bound to an AsyncEngine")
        self._engine = engine
        self._paired = engine.dialect.name == "postgresql"  # see .paired_statements
        self.owner = owner
        self._lease = lease
        self._clock = clock
        self._claims = InstallationClaims(
            session_factory,
            engine,
            owner=owner,
            lease=lease,
            clock=clock,
            share_grace=claim_grace,
            on_presence_lost=on_presence_lost,
        )

    async def close(self) -> None:
        """Give up the presence lock (PostgreSQL); the next claim takes it again."""
        await self._claims.close()

    def now(self) -> datetime:
        return self._clock()

    # Installation leases

    async def claim_installations(
        self, limit: int, *, exclude: Collection[uuid.UUID] = ()
    ) -> list[uuid.UUID]:
        """Lease up to ``limit`` active installations that have due jobs (see
        :meth:`.InstallationClaims.claim`)."""
        return await self._claims.claim(limit, exclude=exclude)

    async def release_installation(self, installation_id: uuid.UUID) -> None:
        await self._claims.release(installation_id)

    # Picking and starting jobs

    async def due_jobs(self, installation_id: uuid.UUID, limit: int) -> list[DueJob]:
        """The installation's next ``limit`` jobs to run, in ``(run_after, id)`` order.

        Only a hint: each is started with :meth:`start`, which checks again that it is due.
        """
        params = {"p_installation_id": installation_id, "p_now": self._clock(), "p_limit": limit}
        async with one_statement(self._engine) as connection:
            rows = (await connection.execute(DUE_JOBS, params)).all()
        return [
            DueJob(row.id, row.status, row.attempts, row.max_attempts, row.kind, row.entity_id)
            for row in rows
        ]

    async def start(self, installation_id: uuid.UUID, due: DueJob) -> RunningJob | None:
        """Mark the job running under our lease and open an attempt for it, in one transaction.

        Extends the installation lease when a third of it has passed (raising
        :class:`LeaseLost` if it is no longer ours). Returns ``None`` when the job is no
        longer due as it was read. An attempt left open by a worker whose lease expired is
        closed as ``lease_expired``.
        """
        with self._claims.renewals_kept_on_commit(installation_id):
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
        renewed = self._claims.needs_renewal(installation_id, now)
        if renewed:
            await self._claims.renew_on(connection, installation_id, expires_at)
        started = await self._started(connection, due, params)
        if started is None:
            if not renewed:  # the job, or the lease: raises LeaseLost if the lease is gone
                await self._claims.renew_on(connection, installation_id, expires_at)
            return None
        row, attempt_id, attempt_number, recovered = started
        return running_job_of(
            row,
            job_id=due.job_id,
            installation_id=row.installation_id,
            attempt_id=attempt_id,
            attempt_number=attempt_number,
            recovered=recovered,
        )

    async def _started(
        self, connection: AsyncConnection, due: DueJob, params: dict[str, Any]
    ) -> tuple[Any, int, int, bool] | None:
        """``START_JOB``'s row, the attempt opened (id, number) and whether attempts a stopped
        worker left open were closed; None when the job was not started."""
        if self._paired and not due.lease_expired:  # see .paired_statements
            row = (await connection.execute(START_JOB_WITH_ATTEMPT, params)).first()
            if row is None:
                return None
            return row, row.attempt_id, row.attempt_number, False
        row = (await connection.execute(START_JOB, params)).first()
        if row is None:
            return None
        recovered = False
        if due.lease_expired:
            closed = await connection.execute(CLOSE_EXPIRED_ATTEMPTS, params)
            recovered = len(closed.all()) > 0
        attempt = (await connection.execute(OPEN_ATTEMPT, params)).one()
        return row, attempt.id, attempt.number, recovered

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

    async def installation_moved_on(self, job: RunningJob) -> bool:
        """Whether the job's installation changed (a new key, a new login) since its run began."""
        async with self._session_factory() as session:
            version = await session.scalar(
                select(Installation.version).where(Installation.id == job.installation_id)
            )
        return version is not None and version != job.installation_version

    def _fence(self, job: RunningJob) -> dict[str, Any]:
        return {"p_job_id": job.job_id, "p_owner": self.owner, "p_attempts": job.attempts}

    @property
    def lease_seconds(self) -> float:
        return self._lease.total_seconds()

    def seconds_held(self, job: RunningJob) -> float | None:
        """How long the job's installation stays leased to this worker unless renewed (its
        lease ends no later than the job's own); None when it is not leased to us."""
        leased_until = self._claims.leased_until(job.installation_id)
        if leased_until is None:
            return None
        return (leased_until - self._clock()).total_seconds()

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
        with self._claims.renewals_kept_on_commit(job.installation_id):
            async with self._engine.begin() as connection:
                if (await connection.execute(statement, params)).first() is None:
                    raise LeaseLost(f"job {job.job_id} lease lost")
                await self._claims.renew_on(connection, job.installation_id, expires_at)

    async def renew_if_due(self, job: RunningJob) -> None:
        """Renew the job's leases once a third of the installation's has passed since we last
        extended it, as starting a job would: for a job started with its runner's last outcome
        that then waited for a place (no heartbeat runs before its handler). Raises
        :class:`LeaseLost`; a renewal failing otherwise leaves it to the heartbeat."""
        if not self._claims.needs_renewal(job.installation_id, self._clock()):
            return
        try:
            await self.renew(job)
        except LeaseLost:
            raise
        except Exception:
            logger.warning("renewing the leases of job %s failed", job.job_id, exc_info=True)

    async def checkpoint(self, job: RunningJob, payload: dict[str, Any]) -> None:
        await self.renew(job, payload=payload)

    # Ending a run

    async def complete(
        self,
        job: RunningJob,
        result: JsonObject | None,
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
        with self._claims.renewals_kept_on_commit(job.installation_id):
            async with self._engine.begin() as connection:
                if not await self._finish_on(
                    connection, job, {"p_result": result}, AttemptOutcome.DONE, None, now
                ):
                    return Completed(recorded=False)
                for write in writes:  # the handler's writes, only while the job is still ours
                    await write(connection)
                if then is not None:
                    try:
                        next_job = await self._start_on(connection, job.installation_id, then, now)
                    except LeaseLost:  # nothing written for the next job; keep the completion
                        lease_lost = True
        if lease_lost:
            raise OutcomeSavedLeaseLost(f"installation {job.installation_id} lease lost")
        return Completed(recorded=True, next_job=next_job)

    async def completed_unanswered(self, job: RunningJob, then: DueJob | None) -> Completed | None:
        """See :func:`.lost_answers.completed_unanswered`."""
        return await completed_unanswered(self._engine, self.owner, job, then)

    async def bury(self, job: RunningJob, reason: str) -> bool:
        """``dead`` with ``reason``; an operator may retry it."""
        now = self._clock()
        async with self._engine.begin() as connection:
            return await self._finish_on(
                connection, job, {"p_reason": reason}, AttemptOutcome.DEAD, reason, now
            )

    async def _finish_on(
        self,
        connection: AsyncConnection,
        job: RunningJob,
        values: dict[str, Any],
        outcome: Literal[AttemptOutcome.DONE, AttemptOutcome.DEAD],
        error: str | None,
        now: datetime,
    ) -> bool:
        attempt = {"p_attempt_id": job.attempt_id, "p_outcome": outcome, "p_error": error}
        params = {**self._fence(job), **values, "p_now": now}
        job_change, paired = _FINISHES[outcome]
        if self._paired:
            fenced = await connection.execute(paired, {**params, **attempt})
            return fenced.first() is not None
        if (await connection.execute(job_change, params)).first() is None:
            return False
        await connection.execute(FINISH_ATTEMPT, {**attempt, "p_now": now})
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
        refused_tokens: str | None = None,
    ) -> bool:
        """Back to ``queued``, unless no longer ours (see :func:`.requeue.requeue`)."""
        return await requeue(
            self._session_factory,
            job,
            owner=self.owner,
            clock=self._clock,
            delay_seconds=delay_seconds,
            outcome=outcome,
            attempt_error=attempt_error,
            last_error=last_error,
            count_attempt=count_attempt,
            park_installation=park_installation,
            refused_tokens=refused_tokens,
        )
