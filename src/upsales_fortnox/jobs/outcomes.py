"""How a job run ended, and saving it: ``done`` with the handler's result, ``queued`` again
for a retry after a backoff, parked until the installation logs in again, ``dead``, or released
unfinished because the worker stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.unavailable import is_database_outage
from upsales_fortnox.integrations.errors import SyncError
from upsales_fortnox.jobs.backoff import retry_delay_seconds, rides_out_outage
from upsales_fortnox.jobs.failures import (
    CREDENTIALS_REFUSED,
    Failure,
    FailureKind,
    classify_failure,
    error_text,
    reason_code,
)
from upsales_fortnox.jobs.results import JsonObject
from upsales_fortnox.jobs.runs import Completed, DueJob, LeaseLost, RunningJob
from upsales_fortnox.jobs.store.job_store import CompletionWrite, JobStore
from upsales_fortnox.vocabulary import AttemptOutcome

logger = logging.getLogger("upsales_fortnox.jobs.worker")

_RELEASED_ON_STOP = error_text(
    "worker_stopped", "the worker stopped before the job finished; it runs again"
)
_GIVEN_BACK_LOST = error_text(
    "job_lease_lost", "the worker lost its hold on the job before it finished; it runs again"
)


@dataclass(frozen=True)
class Finished:
    result: JsonObject | None
    """The JSON of the handler's result, to store on the job."""
    problem: str | None = None
    """Why the handler's return value cannot be stored (the job is then ``dead``)."""

    @classmethod
    def returning(cls, returned: object) -> Finished:
        """The run of a handler that returned ``returned``."""
        if returned is None:
            return cls(None)
        to_json = getattr(returned, "to_json", None)
        if not callable(to_json):
            return cls(None, f"the handler returned {type(returned).__name__}, not a job result")
        result = to_json()
        if not isinstance(result, dict):
            return cls(None, f"the handler's result is {type(result).__name__}, not an object")
        try:
            json.dumps(result)
        except (TypeError, ValueError) as exc:
            return cls(None, f"the handler's result is not JSON: {exc}")
        return cls(result)


@dataclass(frozen=True)
class Failed:
    error: BaseException


@dataclass(frozen=True)
class Released:
    """Cancelled because the worker is stopping and the grace period ran out."""


@dataclass(frozen=True)
class Lost:
    """The lease went to another worker; this run's outcome must not be recorded."""


RunOutcome = Finished | Failed | Released | Lost


class OutcomeRecorder:
    """Saves how each job run of a worker ended. ``rng`` draws the backoff jitter."""

    def __init__(self, store: JobStore, settings: Settings, rng: random.Random) -> None:
        self._store = store
        self._settings = settings
        self._rng = rng

    def label(self, job: RunningJob, outcome: RunOutcome) -> str:
        """``done``, ``retry``, ``wait``, ``dead``, ``reauthorize``, ``released`` or
        ``lease_lost``."""
        if isinstance(outcome, Finished):
            return "done" if outcome.problem is None else "dead"
        if isinstance(outcome, Released):
            return "released"
        if isinstance(outcome, Lost):
            return "lease_lost"
        failure = classify_failure(outcome.error)
        if failure.kind is FailureKind.RETRY and self._gives_up(job, failure):
            return "dead"
        return failure.kind.value

    def _gives_up(self, job: RunningJob, failure: Failure) -> bool:
        """A retry whose attempts are used up, unless it met an outage it still rides out
        (``job_outage_patience_hours``): a Fortnox or Upsales maintenance kills no deal."""
        if job.attempts < job.max_attempts:
            return False
        return not failure.outage or not rides_out_outage(
            job.attempts,
            job.max_attempts,
            patience_seconds=self._settings.job_outage_patience_hours * 3600,
            max_seconds=self._settings.job_backoff_max_seconds,
        )

    async def record(
        self,
        job: RunningJob,
        outcome: RunOutcome,
        log_extra: dict[str, Any],
        then: DueJob | None,
        writes: Sequence[CompletionWrite] = (),
        *,
        stop: asyncio.Event,
    ) -> RunningJob | None:
        """Save the outcome; returns the next job if ``then`` was started along with it (never
        once ``stop``, the worker's, is set: it may have been set while the job ran). Raises
        :class:`LeaseLost` when the job is no longer ours.

        A database out of reach for the save (as it often still is when it went away under
        the job) is waited for, within the job's lease (the failed tries' own time counted): the
        outcome is saved once it is back, and a job on its last attempt is not left to its
        lease's expiry, which buries it."""
        pauses = _save_pauses(self._settings)
        deadline = self._store.now() + timedelta(seconds=self._settings.job_lease_seconds)
        while True:
            try:
                return await self._record_once(
                    job, outcome, log_extra, then, writes, stopping=stop.is_set()
                )
            except Exception as exc:
                pause = next(pauses, None)
                if (
                    stop.is_set()  # no more tries once the worker is told to stop
                    or pause is None
                    or not is_database_outage(exc)
                    or self._store.now() + timedelta(seconds=pause) > deadline
                ):  # each try may take its time too: the lease bounds them all
                    raise
                logger.warning(
                    "the job's outcome was not saved (database unavailable, %s); "
                    "trying again in %.1f s",
                    type(exc).__name__,
                    pause,
                    extra={**log_extra, "code": "database_unavailable"},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                if stop.is_set():
                    raise  # the worker stops: the job runs again once its lease expires

    async def _record_once(
        self,
        job: RunningJob,
        outcome: RunOutcome,
        log_extra: dict[str, Any],
        then: DueJob | None,
        writes: Sequence[CompletionWrite],
        *,
        stopping: bool,
    ) -> RunningJob | None:
        next_job = None
        if isinstance(outcome, Lost):
            logger.warning("job lease lost; this run's outcome is discarded", extra=log_extra)
            await self._give_back(job, log_extra)
            raise LeaseLost(f"job {job.job_id} lease lost")
        if isinstance(outcome, Released):
            recorded = await self._store.requeue(
                job,
                delay_seconds=0,
                outcome=AttemptOutcome.RELEASED,
                attempt_error=_RELEASED_ON_STOP,
                last_error=None,
                count_attempt=False,
            )
            logger.info("job released unfinished: worker stopping", extra=log_extra)
        elif isinstance(outcome, Finished):
            recorded, next_job = await self._record_result(
                job, outcome, log_extra, None if stopping else then, writes
            )
        else:
            recorded = await self._record_failure(job, outcome.error, log_extra)
        if not recorded:
            logger.warning("job lease lost before its outcome was saved", extra=log_extra)
            raise LeaseLost(f"job {job.job_id} lease lost")
        return next_job

    async def _give_back(self, job: RunningJob, log_extra: dict[str, Any]) -> None:
        """A run that lost its lease is over (its handler has ended): if the job is still ours
        (nobody took it over; on PostgreSQL, say, our presence came back first), it is due
        again now instead of when its lease runs out. Fenced like every write of a run, so a
        job another worker took over is left to it; the attempt counts, and a last attempt is
        left to the lease's expiry (which buries it)."""
        if job.attempts >= job.max_attempts:
            return
        try:
            given_back = await self._store.requeue(
                job,
                delay_seconds=0,
                outcome=AttemptOutcome.LEASE_EXPIRED,
                attempt_error=_GIVEN_BACK_LOST,
                last_error=None,
                count_attempt=True,
            )
        except Exception:  # the database is away: the lease's expiry brings the job back
            logger.warning("giving back a job whose lease was lost failed", extra=log_extra)
            return
        if given_back:
            logger.info("job given back after its lease was lost; due again", extra=log_extra)

    async def _record_result(
        self,
        job: RunningJob,
        finished: Finished,
        log_extra: dict[str, Any],
        then: DueJob | None,
        writes: Sequence[CompletionWrite] = (),
    ) -> tuple[bool, RunningJob | None]:
        result = finished.result
        if finished.problem is not None:
            reason = error_text("invalid_job_result", finished.problem)
            logger.error("job dead: %s", reason, extra={**log_extra, "code": reason_code(reason)})
            return await self._store.bury(job, reason), None
        try:
            try:
                completed = await self._store.complete(job, result, then=then, writes=writes)
            except LeaseLost:
                raise
            except Exception:
                if then is None:
                    raise
                # Starting the next job failed and took the completion with it: save it alone.
                logger.warning("starting the next job failed", exc_info=True, extra=log_extra)
                completed = await self._store.complete(job, result, writes=writes)
        except LeaseLost:
            raise
        except Exception as error:
            # The completion itself failed (a write the database refuses): the run fails with
            # that error, recorded, instead of staying running until its lease ends.
            if await self._record_failure(job, error, log_extra):
                return True, None
            completed = Completed(recorded=False)
        if not completed.recorded:
            completed = await self._saved_unanswered(job, then, log_extra)
        if completed.recorded:
            logger.info("job done", extra=log_extra)
        return completed.recorded, completed.next_job

    async def _saved_unanswered(
        self, job: RunningJob, then: DueJob | None, log_extra: dict[str, Any]
    ) -> Completed:
        """A completion no longer ours to save may have been saved by an earlier try whose
        commit's answer was lost: it stands, and the next job started with it runs now instead
        of staying ``running`` until its lease ends."""
        earlier = await self._store.completed_unanswered(job, then)
        if earlier is None:
            return Completed(recorded=False)
        logger.warning(
            "the job's outcome was saved by a try whose answer was lost",
            extra={**log_extra, "code": "outcome_answer_lost"},
        )
        return earlier

    async def _replaced_during_run(self, job: RunningJob, code: str) -> bool:
        """An API refused the credentials that a new key or login replaced during this run (its
        requeue of the refused jobs came first): the job runs again, its attempt counted, so
        edits of the installation over and over cannot keep it going past its attempts."""
        if code not in CREDENTIALS_REFUSED or job.attempts >= job.max_attempts:
            return False
        return await self._store.installation_moved_on(job)

    async def _record_failure(
        self, job: RunningJob, error: BaseException, log_extra: dict[str, Any]
    ) -> bool:
        failure = classify_failure(error)
        log_extra = {**log_extra, "code": failure.code}
        trace = None if isinstance(error, SyncError) else error  # unexpected: log the traceback
        if failure.kind is FailureKind.REAUTHORIZE:
            logger.warning("job parked until re-login: %s", failure.reason, extra=log_extra)
            return await self._store.requeue(
                job,
                delay_seconds=0,
                outcome=AttemptOutcome.RELEASED,
                attempt_error=failure.reason,
                last_error=failure.reason,
                count_attempt=False,
                park_installation=True,
                refused_tokens=failure.refused_tokens,
            )
        if failure.kind is FailureKind.WAIT:
            logger.info("job waits: %s", failure.reason, extra=log_extra)
            return await self._store.requeue(
                job,
                delay_seconds=failure.retry_after or 0.0,
                outcome=AttemptOutcome.WAITING,
                attempt_error=failure.reason,
                last_error=failure.reason,
                count_attempt=False,
            )
        if failure.kind is FailureKind.DEAD:
            if await self._replaced_during_run(job, failure.code):
                logger.info(
                    "refused while its credentials were replaced; runs again", extra=log_extra
                )
                return await self._store.requeue(
                    job,
                    delay_seconds=0,
                    outcome=AttemptOutcome.RETRY,
                    attempt_error=failure.reason,
                    last_error=failure.reason,
                    count_attempt=True,
                )
            logger.error("job dead: %s", failure.reason, extra=log_extra)
            return await self._store.bury(job, failure.reason)
        if self._gives_up(job, failure):
            reason = f"{failure.reason} (gave up after {job.attempts} attempts)"
            logger.error("job dead: %s", reason, extra=log_extra, exc_info=trace)
            return await self._store.bury(job, reason)
        delay = retry_delay_seconds(
            job.attempts,
            base_seconds=self._settings.job_backoff_base_seconds,
            max_seconds=self._settings.job_backoff_max_seconds,
            rng=self._rng,
            retry_after=failure.retry_after,
        )
        logger.warning(
            "job failed, retrying in %.1f s: %s",
            delay,
            failure.reason,
            extra=log_extra,
            exc_info=trace,
        )
        return await self._store.requeue(
            job,
            delay_seconds=delay,
            outcome=AttemptOutcome.RETRY,
            attempt_error=failure.reason,
            last_error=failure.reason,
            count_attempt=True,
        )


_MAX_SAVE_PAUSE_SECONDS = 2.0


def _save_pauses(settings: Settings) -> Iterator[float]:
    """The waits between tries to save an outcome while the database is out of reach: from
    the worker's poll, doubled up to 2 s, in all at most the job's lease."""
    pause, waited = settings.worker_poll_seconds, 0.0
    while waited + pause <= settings.job_lease_seconds:
        yield pause
        waited += pause
        pause = min(pause * 2, _MAX_SAVE_PAUSE_SECONDS)
