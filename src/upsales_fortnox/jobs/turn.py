"""Which of an installation's due jobs runs next, in one turn of its lease, and beside what.

A turn hands the installation's due jobs out in ``(run_after, id)`` order to up to ``lanes``
runners. A job of a kind registered ``side_by_side`` starts while others of such kinds run,
unless one of them is a job of its own kind and entity (a newer change of a deal waits for the
run of the older one); a job of any other kind starts only when nothing runs, and nothing starts
while it runs. So an entity's jobs still run one after another in their order, kinds that may
depend on each other never overlap, and the jobs after one that cannot start yet wait for it
(the order is kept: nothing overtakes it).

A runner's next job is handed out as its job's outcome is saved, to start in that transaction;
the job being saved holds no runner any more but keeps its entity until it has ended. So that
the next job is there, the next batch is read as soon as fewer jobs wait than there are runners
(while the running ones may have others beside them).

Running side by side is what lets a busy installation reach its Fortnox rate budget when every
API call takes its time: while one won deal waits for Fortnox's answer, the next ones are read
and wait for their places in the budget.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from upsales_fortnox.jobs.runs import DueJob

logger = logging.getLogger(__name__)

ReadDue = Callable[[int], Awaitable[list[DueJob]]]
"""Reads up to that many of the installation's due jobs, in order."""


class TurnJobs:
    """The due jobs of one turn, handed to its runners (a runner calls :meth:`next`, or
    :meth:`next_with` as its job ends, and :meth:`ended` once the job's outcome is saved).

    The turn ends when ``per_turn`` jobs were handed out, when a batch shorter than asked for
    was all that was due (what comes meanwhile is the next turn's), when a batch brings nothing
    that was not tried already, or on :meth:`stop`."""

    def __init__(
        self,
        read_due: ReadDue,
        side_by_side: Callable[[str], bool],
        *,
        lanes: int,
        per_turn: int,
        per_batch: int,
    ) -> None:
        self._read_due = read_due
        self._side_by_side = side_by_side
        self._lanes = max(1, lanes)
        self._per_turn = per_turn
        self._per_batch = max(1, per_batch)
        self._waiting: deque[DueJob] = deque()
        self._running: dict[int, DueJob] = {}
        self._saving: set[int] = set()
        """Running jobs whose handler has ended and whose outcome is being saved with the start
        of their runner's next job: they hold no runner, but keep their entity until ended."""
        """Handed out, outcome not saved yet, by job id."""
        self._not_started: set[int] = set()
        """Jobs a runner could not start (no longer due as read): not handed out again."""
        self._handed_out = 0
        self._more_due = True
        self._stopped = False
        self._reading = False
        self._reach = 0
        """Jobs handed out that the last read found still due (not started yet)."""
        self._ended_in_read: set[int] = set()
        """Jobs that ended while a batch was read: the batch may hold them as still due."""
        self._changed = asyncio.Condition()

    @property
    def lanes(self) -> int:
        return self._lanes

    def backlog(self) -> int:
        """How many of the installation's jobs wait, as far as the turn knows: those read and
        not handed out yet, and a batch more while more may be due."""
        return len(self._waiting) + (self._per_batch if self._more_due else 0)

    @property
    def stopped(self) -> bool:
        return self._stopped

    async def next(self) -> DueJob | None:
        """The next job this runner runs (handed out: it counts as running), once it may start;
        None when the turn is over for this runner."""
        async with self._changed:
            while True:
                if self._over():
                    return None
                if self._waiting:
                    if self._fits(self._waiting[0]):
                        due = self._hand_out()
                        if self._runs_low():
                            await self._read_ahead()
                        return due
                elif not self._more_due:
                    return None
                elif not self._reading and self._may_read_ahead():
                    await self._read_batch()
                    continue
                await self._changed.wait()

    def next_with(self, ending: DueJob) -> DueJob | None:
        """For the runner whose job ``ending`` is about to be saved done: the job to start in
        that same transaction, handed out, if it may start as ``ending`` ends; else None (the
        runner asks :meth:`next` once ``ending`` has :meth:`ended`)."""
        if self._over() or not self._waiting:
            return None
        if not self._fits(self._waiting[0], leaving=ending.job_id):
            return None
        self._saving.add(ending.job_id)
        return self._hand_out()

    async def ended(self, due: DueJob, *, started: bool = True) -> None:
        """The run of ``due`` is over (its outcome saved, or it was not started: ``started``
        False, it is not handed out again this turn)."""
        async with self._changed:
            self._running.pop(due.job_id, None)
            self._saving.discard(due.job_id)
            if self._reading:
                self._ended_in_read.add(due.job_id)
            if started and self._runs_low():  # the waiting ones went to runners' next jobs
                await self._read_ahead()
            if not started:
                self._not_started.add(due.job_id)
            self._changed.notify_all()

    async def stop(self) -> None:
        """No more jobs are handed out (the lease was lost, or the worker stops)."""
        async with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def _over(self) -> bool:
        return self._stopped or self._handed_out >= self._per_turn

    def _fits(self, due: DueJob, *, leaving: int | None = None) -> bool:
        running = [job for job_id, job in self._running.items() if job_id != leaving]
        if not running:
            return True
        runners = sum(1 for job in running if job.job_id not in self._saving)
        if runners >= self._lanes or not self._side_by_side(due.kind):
            return False
        return all(
            self._side_by_side(job.kind) and (job.kind, job.entity_id) != (due.kind, due.entity_id)
            for job in running
        )

    def _may_read_ahead(self) -> bool:
        """The next batch is read while jobs run only if they may have others beside them
        (else it is read once they are done, as it would be one job at a time)."""
        return all(self._side_by_side(job.kind) for job in self._running.values())

    def _runs_low(self) -> bool:
        """Fewer jobs wait than there are runners, while more may be due and the running ones
        may have others beside them: the next batch is read before the last are handed out, so
        a runner's next job can still start in the transaction that saves its last one."""
        return (
            len(self._waiting) < self._lanes
            and self._more_due
            and not self._reading
            and not self._over()
            and self._may_read_ahead()
        )

    def _hand_out(self) -> DueJob:
        due = self._waiting.popleft()
        self._running[due.job_id] = due
        self._handed_out += 1
        return due

    async def _read_ahead(self) -> None:
        """A read before the waiting jobs are all out: should it fail, the turn reads no more
        (the jobs waiting, and those started, still run; the next turn reads again)."""
        try:
            await self._read_batch()
        except Exception:
            logger.warning("reading the next due jobs ahead failed", exc_info=True)
            self._more_due = False

    async def _read_batch(self) -> None:
        """Reads the next batch (the lock is let go meanwhile: other runners' jobs end)."""
        waiting = len(self._waiting)  # read again at the batch's head (they are still due)
        wanted = min(self._per_batch + waiting, self._per_turn - self._handed_out)
        if wanted <= waiting:
            return
        asked = wanted + self._reach
        self._reading = True
        self._ended_in_read.clear()
        self._changed.release()
        try:
            batch = await self._read_due(asked)
        finally:
            await self._changed.acquire()
            self._reading = False
            self._changed.notify_all()
        # A short batch was all that was due: the turn ends with it.
        self._more_due = len(batch) == asked
        # Jobs handed out stay due until their runners start them (a runner may wait for a
        # place at the worker's gate): the next read reaches past as many as this one met.
        handed_out_due = sum(1 for due in batch if due.job_id in self._running)
        met_more = handed_out_due > self._reach
        self._reach = handed_out_due
        known = {
            *self._running,
            *self._not_started,
            *self._ended_in_read,
            *(due.job_id for due in self._waiting),
        }
        fresh = [due for due in batch if due.job_id not in known]
        if not fresh and not (self._more_due and met_more):
            self._more_due = False  # nothing new to start: the next turn reads again
        self._waiting.extend(fresh)


def hand_next(turn: TurnJobs, ending: DueJob, handed: list[DueJob]) -> DueJob | None:
    """Asked as ``ending``'s outcome is saved: the job handed to its runner next (appended to
    ``handed``), if one may start then; it is returned to start in that same transaction,
    unless it is to be buried."""
    following = turn.next_with(ending)
    if following is None:
        return None
    handed.append(following)
    return None if following.to_bury else following
