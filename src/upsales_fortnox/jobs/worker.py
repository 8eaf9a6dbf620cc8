"""The worker: leases installations with due jobs and runs their jobs.

A worker serves up to ``settings.worker_concurrency`` installations at once, each under an
installation lease, so no installation is served by two workers (or two tasks) at the same
time: a worker stops a run whose lease it lost, or could not renew before its end (see
:class:`~upsales_fortnox.jobs.heartbeat.Heartbeat`), and sends no write of it after that
(``writes_under_lease``); one already sent cannot be called back. With other workers connected
(PostgreSQL) it claims its fair share of the waiting ones (:mod:`.claim_share`). For each
installation it runs the due jobs in ``(run_after, id)`` order, at most ``jobs_per_turn`` of
them before giving the installation back, so one busy installation cannot starve the others;
up to ``settings.worker_jobs_per_installation`` at once where their kinds allow (:mod:`.turn`),
else one at a time. At most ``settings.worker_jobs_at_once`` jobs are at work at once across its
installations, the busiest installations' first (:mod:`.run_gate`).
While a job runs longer than ``heartbeat_seconds``, a heartbeat renews both leases.

Per-job cost is kept low: due jobs are read a few at a time (``jobs_per_batch``) and each is
still started on its own (checked again to be due, fenced by the lease); a job's outcome is
saved in the transaction that starts its runner's next one; the jobs of a turn share a
``turn_cache`` (see :class:`~upsales_fortnox.jobs.dispatch.JobContext`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.session_presence import process_name
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.logging_setup import log_context
from upsales_fortnox.jobs.burials import Burials, JobObserver
from upsales_fortnox.jobs.claim_pacing import ClaimPacing
from upsales_fortnox.jobs.dispatch import HandlerRegistry
from upsales_fortnox.jobs.handler_runs import HandlerRuns
from upsales_fortnox.jobs.job_start import announce_start, handler_context
from upsales_fortnox.jobs.outage import DatabaseOutage
from upsales_fortnox.jobs.outcomes import OutcomeRecorder
from upsales_fortnox.jobs.presence_losses import PresenceLosses
from upsales_fortnox.jobs.run_gate import RunGate
from upsales_fortnox.jobs.runs import DueJob, LeaseLost, OutcomeSavedLeaseLost, RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.jobs.turn import TurnJobs, hand_next

logger = logging.getLogger(__name__)

DEFAULT_SHUTDOWN_GRACE_SECONDS = 30.0
DEFAULT_JOBS_PER_TURN = 50
DEFAULT_JOBS_PER_BATCH = 10


def default_worker_id() -> str:
    """Unique per process: host, pid and a random suffix."""
    return process_name()


class Worker:
    """Runs due jobs from the database. Use :meth:`run` in a service, :meth:`run_once` in tests.

    ``clock`` gives the current UTC time for every lease and due-time decision, so tests can
    move time instead of waiting. ``rng`` draws the backoff jitter.
    """

    def __init__(
        self,
        session_factory: DbSessionFactory,
        registry: HandlerRegistry,
        settings: Settings,
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        shutdown_grace_seconds: float = DEFAULT_SHUTDOWN_GRACE_SECONDS,
        heartbeat_seconds: float | None = None,
        jobs_per_turn: int = DEFAULT_JOBS_PER_TURN,
        jobs_per_batch: int = DEFAULT_JOBS_PER_BATCH,
        on_outcome: JobObserver | None = None,
    ) -> None:
        self.worker_id = worker_id or default_worker_id()
        self._session_factory = session_factory
        self._registry = registry
        self._settings = settings
        self._store = JobStore(
            session_factory,
            owner=self.worker_id,
            lease=timedelta(seconds=settings.job_lease_seconds),
            clock=clock,
            # A worker with free places claims at least once per poll: work due for two polls
            # has been left by the others (full, or gone), and any worker takes it.
            claim_grace=timedelta(seconds=2 * settings.worker_poll_seconds),
            on_presence_lost=self._presence_lost,
        )
        self._presence_losses = PresenceLosses()
        jitter = rng or random.Random()  # not security
        self._outcomes = OutcomeRecorder(self._store, settings, jitter)
        self._burials = Burials(self._store, on_outcome)
        self._handler_runs = HandlerRuns(
            self._store,
            self._presence_losses,
            heartbeat_seconds=heartbeat_seconds or settings.job_lease_seconds / 3,
            grace_seconds=shutdown_grace_seconds,
        )
        self._jobs_per_turn = jobs_per_turn
        self._gate = RunGate(settings.worker_jobs_at_once)
        self._jobs_per_batch = max(1, jobs_per_batch)
        self._on_outcome = on_outcome
        self._stop = asyncio.Event()
        #: Done once ``_stop`` is set; one per driving loop, shared by every running job.
        self._stop_waiter: asyncio.Future[Any] | None = None
        self.outage = DatabaseOutage(settings.worker_poll_seconds)

    # Driving loops

    async def run(self, stop: asyncio.Event) -> None:
        """Serve installations until ``stop`` is set, then finish (or release) running jobs.

        Cancelling this coroutine instead is a hard stop: running handlers are cancelled and
        their jobs run again as after a crash: once their leases expire, or on PostgreSQL as
        soon as another worker claims their installations (this worker's presence is gone).
        """
        self._stop = stop
        serving: dict[uuid.UUID, asyncio.Task[int]] = {}
        stop_waiter = self._stop_waiter = asyncio.ensure_future(stop.wait())
        logger.info("worker %s started", self.worker_id)
        pacing = ClaimPacing(self._jobs_per_turn)
        try:
            while not stop.is_set():
                free_slots = self._settings.worker_concurrency - len(serving)
                poll = self.outage.pause_seconds()
                if free_slots > 0 and pacing.claim_now(time.monotonic(), poll):
                    claimed = await self._claim(free_slots, exclude=serving)
                    pacing.claimed(time.monotonic(), free_slots, len(claimed))
                    for installation_id in claimed:
                        serving[installation_id] = asyncio.create_task(self._serve(installation_id))
                all_busy = len(serving) >= self._settings.worker_concurrency
                await asyncio.wait(
                    {stop_waiter, *serving.values()},
                    timeout=None if all_busy else pacing.wait_seconds(time.monotonic(), poll),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for installation_id, task in list(serving.items()):
                    if task.done():
                        del serving[installation_id]
                        if not task.cancelled() and task.exception() is None:
                            pacing.turn_ended(task.result())
        except asyncio.CancelledError:
            for task in serving.values():
                task.cancel()
            raise
        finally:
            if serving:
                await asyncio.gather(*serving.values(), return_exceptions=True)
            stop_waiter.cancel()
            self._stop_waiter = None
            await self._store.close()
            logger.info("worker %s stopped", self.worker_id)

    async def run_once(self) -> int:
        """Run every job that is due now (and those that become due meanwhile); returns how
        many job runs ended (done, retried, dead, parked or released)."""
        total = 0
        own_waiter = self._stop_waiter is None
        if own_waiter:
            self._stop_waiter = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stop.is_set():
                claimed = await self._claim(self._settings.worker_concurrency)
                if not claimed:
                    break
                processed = sum(await asyncio.gather(*(self._serve(i) for i in claimed)))
                if processed == 0:
                    break
                total += processed
        finally:
            if own_waiter and self._stop_waiter is not None:
                self._stop_waiter.cancel()
                self._stop_waiter = None
                await self._store.close()
        return total

    async def _claim(self, limit: int, *, exclude: Collection[uuid.UUID] = ()) -> list[uuid.UUID]:
        losses_before = self._presence_losses.count  # a loss during the claim: not ours
        try:
            claimed = await self._store.claim_installations(limit, exclude=exclude)
        except Exception as exc:
            if not self.outage.failed(exc):
                logger.exception("claiming installations failed")
            return []
        self.outage.succeeded()
        self._presence_losses.claimed(claimed, losses_before)
        return claimed

    # One installation

    async def _serve(self, installation_id: uuid.UUID) -> int:
        """Run the installation's due jobs in a turn (:mod:`.turn`: up to
        ``settings.worker_jobs_per_installation`` side by side where their kinds allow), then
        give its lease back; returns how many job runs ended.

        Due jobs are read a few at a time (``jobs_per_batch``) and still started one by one,
        each checked again to be due and fenced by the lease; a batch shorter than asked for
        is the last of the turn. ``turn_cache`` lives as long as this turn; the jobs' handlers
        may keep per-installation objects in it.
        """
        turn = TurnJobs(
            partial(self._store.due_jobs, installation_id),
            self._registry.side_by_side,
            lanes=self._settings.worker_jobs_per_installation,
            per_turn=self._jobs_per_turn,
            per_batch=self._jobs_per_batch,
        )
        turn_cache: dict[str, Any] = {}
        self._presence_losses.serving(installation_id)
        try:
            lanes = [self._lane(installation_id, turn, turn_cache) for _ in range(turn.lanes)]
            return sum(await asyncio.gather(*lanes))
        finally:
            self._presence_losses.served(installation_id)
            try:
                await self._store.release_installation(installation_id)
            except Exception:
                logger.exception(
                    "releasing the installation lease failed",
                    extra={"installation_id": str(installation_id)},
                )

    async def _lane(
        self, installation_id: uuid.UUID, turn: TurnJobs, turn_cache: dict[str, Any]
    ) -> int:
        """One runner of the turn: runs the jobs the turn hands it one at a time, a job's
        outcome saved with the start of the runner's next one when that may start then;
        returns how many job runs ended. A lost lease, or a failure here, ends the turn."""
        processed = 0
        pending: DueJob | None = None  # handed to this runner, not started yet
        started: tuple[DueJob, RunningJob] | None = None  # started with the last outcome
        try:
            while True:
                work = started or pending or await turn.next()
                started = pending = None
                if work is None:
                    break
                async with self._gate.place(turn.backlog):
                    if isinstance(work, DueJob):
                        job, ended = await self._start(installation_id, turn, work)
                        processed += ended
                        if job is None:
                            continue
                        work = (work, job)
                    due, running = work
                    handed_next: list[DueJob] = []
                    try:
                        then = partial(hand_next, turn, due, handed_next)
                        next_job = await self._run_job(running, turn_cache, then=then)
                    except OutcomeSavedLeaseLost:
                        processed += 1
                        raise
                    finally:
                        pending = handed_next[0] if handed_next else None
                        await turn.ended(due)
                    processed += 1
                    if next_job is not None and pending is not None:
                        started, pending = (pending, next_job), None
        except LeaseLost:
            logger.warning(
                "lost the installation lease; stopping its jobs",
                extra={"installation_id": str(installation_id)},
            )
            await turn.stop()
        except Exception:
            logger.exception(
                "serving the installation failed", extra={"installation_id": str(installation_id)}
            )
            await turn.stop()
        # A runner out of jobs leaves the turn on: a job handed to another may still start.
        if pending is not None:
            await turn.ended(pending, started=False)
        return processed

    async def _start(
        self, installation_id: uuid.UUID, turn: TurnJobs, due: DueJob
    ) -> tuple[RunningJob | None, int]:
        """Start the job handed out, and the job runs this ended (1: it was buried instead, its
        last attempt's worker having stopped). No job when it was not started: buried, not due
        as read any more (done, merged or parked), or the turn is over (left for the next)."""
        job = None
        buried = False
        try:
            if turn.stopped or not self._still_serving(installation_id):
                await turn.stop()
            elif due.to_bury:
                buried = await self._burials.bury_expired(installation_id, due)
            else:
                job = await self._store.start(installation_id, due)
        finally:
            if job is None:
                await turn.ended(due, started=False)
        return job, int(buried)

    def _still_serving(self, installation_id: uuid.UUID) -> bool:
        """Neither stopping nor holding the installation from before the presence ended."""
        return not self._stop.is_set() and not self._presence_losses.held_from_before_a_loss(
            installation_id
        )

    # One job

    async def _run_job(
        self,
        job: RunningJob,
        turn_cache: dict[str, Any],
        *,
        then: Callable[[], DueJob | None] = lambda: None,
    ) -> RunningJob | None:
        """Run the job and record its outcome; returns the job ``then()`` (asked once the
        handler has ended) gave, if it was started as the outcome was recorded (see
        :meth:`JobStore.complete`)."""
        log_extra = announce_start(job)
        handler = self._registry.get(job.kind)
        if handler is None:
            await self._burials.bury_unknown_kind(job, log_extra)
            return None
        context = handler_context(
            job, self._session_factory, partial(self._store.checkpoint, job), turn_cache
        )
        await self._store.renew_if_due(job)  # it may have waited for a place since it started
        started = time.monotonic()
        with self._handler_runs.writes_checked(job), log_context(**log_extra):
            # made here, so the task's chain of callers is the worker's own (and its lines name
            # the job: the task keeps the context it was made in)
            handler_task = asyncio.ensure_future(handler(context))
        outcome = await self._handler_runs.execute(job, handler_task, self._stop_waiter)
        if self._on_outcome is not None:
            label = self._outcomes.label(job, outcome)
            self._on_outcome(job.kind, label, time.monotonic() - started)
        return await self._outcomes.record(
            job,
            outcome,
            log_extra,
            then(),
            context.completion_writes,
            stop=self._stop,
        )

    def _presence_lost(self) -> None:
        """The worker's presence in the database ended (it restarted, or ended the session):
        other workers may take its installations over at once, so its running jobs stop now
        (each runs again under whoever holds the installation next)."""
        self._presence_losses.ended()
        if self._handler_runs.running:
            logger.warning(
                "the worker's presence in the database ended; its %d running jobs stop",
                self._handler_runs.running,
                extra={"code": "worker_presence_lost"},
            )
        self._handler_runs.lose_all()
