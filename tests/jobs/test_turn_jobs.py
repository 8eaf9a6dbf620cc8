"""Which due job of a turn is handed out next, and beside what (:class:`TurnJobs` on its own:
a fake reader of due jobs, no database)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from upsales_fortnox.jobs.runs import DueJob
from upsales_fortnox.jobs.turn import TurnJobs
from upsales_fortnox.vocabulary import JobStatus

T = TypeVar("T")
SAFETY_TIMEOUT = 5
SIDE = "side.job"
SIDE_TOO = "side.other"
ALONE = "alone.job"


def _due(job_id: int, kind: str = SIDE, entity_id: str | None = None) -> DueJob:
    return DueJob(job_id, JobStatus.QUEUED.value, 0, 8, kind, entity_id or f"entity-{job_id}")


class FakeDue:
    """Answers each read with the next scripted batch (cut to the limit asked for; nothing once
    the script is over) and records the limits asked for. ``gate``, when set, holds every
    read until it is set."""

    def __init__(self, *batches: list[DueJob]) -> None:
        self.batches = list(batches)
        self.asked: list[int] = []
        self.gate: asyncio.Event | None = None
        self.reading = asyncio.Event()

    async def __call__(self, limit: int) -> list[DueJob]:
        self.asked.append(limit)
        self.reading.set()
        if self.gate is not None:
            await self.gate.wait()
        return self.batches.pop(0)[:limit] if self.batches else []


def _turn(due: FakeDue, *, lanes: int = 3, per_turn: int = 50, per_batch: int = 10) -> TurnJobs:
    return TurnJobs(
        due, {SIDE, SIDE_TOO}.__contains__, lanes=lanes, per_turn=per_turn, per_batch=per_batch
    )


async def _bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, SAFETY_TIMEOUT)


async def _settle() -> None:
    """Let every ready task run until it waits again (nothing here waits on I/O)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def _still_waiting(task: asyncio.Task[DueJob | None]) -> bool:
    await _settle()
    return not task.done()


async def test_side_by_side_jobs_of_different_entities_fill_the_lanes_and_no_more() -> None:
    jobs = [_due(number) for number in range(1, 6)]
    turn = _turn(FakeDue(jobs), lanes=3)
    assert [await _bounded(turn.next()) for _ in range(3)] == jobs[:3]
    fourth = asyncio.create_task(turn.next())
    assert await _still_waiting(fourth)
    await turn.ended(jobs[1])
    assert await _bounded(fourth) == jobs[3]


async def test_a_job_of_the_same_kind_and_entity_waits_and_what_follows_waits_behind_it() -> None:
    first, same, other = _due(1, entity_id="x"), _due(2, entity_id="x"), _due(3, entity_id="y")
    turn = _turn(FakeDue([first, same, other]), lanes=3)
    assert await _bounded(turn.next()) == first
    behind = asyncio.create_task(turn.next())
    assert await _still_waiting(behind)  # ``same`` may not start; ``other`` may not overtake
    assert turn.next_with(first) == same  # it may start as the first leaves
    assert await _still_waiting(behind)  # the first has not ended yet: lanes as they were
    await turn.ended(first)
    assert await _bounded(behind) == other


async def test_same_entity_of_another_side_by_side_kind_runs_beside() -> None:
    first, other_kind = _due(1, entity_id="x"), _due(2, SIDE_TOO, entity_id="x")
    turn = _turn(FakeDue([first, other_kind]), lanes=3)
    assert await _bounded(turn.next()) == first
    assert await _bounded(turn.next()) == other_kind


async def test_a_job_of_another_kind_waits_for_the_running_ones_and_then_runs_alone() -> None:
    side_1, side_2, alone, side_3 = _due(1), _due(2), _due(3, ALONE), _due(4)
    turn = _turn(FakeDue([side_1, side_2, alone, side_3]), lanes=3)
    assert [await _bounded(turn.next()) for _ in range(2)] == [side_1, side_2]
    third = asyncio.create_task(turn.next())
    assert await _still_waiting(third)  # ``alone`` waits, ``side_3`` may not overtake it
    assert turn.next_with(side_1) is None  # ``side_2`` still runs
    await turn.ended(side_1)
    assert await _still_waiting(third)
    assert turn.next_with(side_2) == alone  # the last running one leaves
    await turn.ended(side_2)
    assert await _still_waiting(third)  # nothing starts beside ``alone``
    assert turn.next_with(alone) == side_3
    await turn.ended(alone)
    assert await _bounded(third) is None  # nothing more was due


async def test_a_job_of_another_kind_is_handed_out_by_next_once_nothing_runs() -> None:
    side_1, alone = _due(1), _due(2, ALONE)
    turn = _turn(FakeDue([side_1, alone]), lanes=3)
    assert await _bounded(turn.next()) == side_1
    second = asyncio.create_task(turn.next())
    assert await _still_waiting(second)
    await turn.ended(side_1)
    assert await _bounded(second) == alone


async def test_next_with_hands_out_nothing_when_nothing_is_waiting_or_the_turn_stopped() -> None:
    jobs = [_due(1), _due(2, ALONE), _due(3)]
    turn = _turn(FakeDue(jobs), lanes=1)
    assert await _bounded(turn.next()) == jobs[0]
    assert turn.next_with(jobs[0]) == jobs[1]
    await turn.ended(jobs[0])
    await turn.stop()
    assert turn.stopped
    assert turn.next_with(jobs[1]) is None
    await turn.ended(jobs[1])
    assert await _bounded(turn.next()) is None

    only = _due(4)
    single = _turn(FakeDue([only]), lanes=2)
    assert await _bounded(single.next()) == only
    assert single.next_with(only) is None  # nothing waiting, and no read from here


async def test_stop_wakes_every_waiting_runner_with_none() -> None:
    alone, side = _due(1, ALONE), _due(2)
    turn = _turn(FakeDue([alone, side]), lanes=3)
    assert await _bounded(turn.next()) == alone
    waiting = [asyncio.create_task(turn.next()) for _ in range(2)]
    for task in waiting:
        assert await _still_waiting(task)
    await turn.stop()
    assert await _bounded(asyncio.gather(*waiting)) == [None, None]
    await turn.ended(alone)
    assert await _bounded(turn.next()) is None  # ``side`` is left for the next turn


async def test_stop_during_a_read_hands_out_nothing_of_it() -> None:
    due = FakeDue([_due(1), _due(2)])
    due.gate = asyncio.Event()
    turn = _turn(due, lanes=2)
    reader = asyncio.create_task(turn.next())
    await _bounded(due.reading.wait())
    await _bounded(turn.stop())  # the lock is not held while reading
    due.gate.set()
    assert await _bounded(reader) is None


async def test_a_job_that_could_not_start_is_not_handed_out_again_in_the_turn() -> None:
    gone, second, third = _due(1), _due(2), _due(3)
    # Reads of two: [gone, second] (full), [gone, third] (full), [gone] (short).
    due = FakeDue([gone, second], [gone, third], [gone])
    turn = _turn(due, lanes=1, per_batch=2)
    assert await _bounded(turn.next()) == gone
    await turn.ended(gone, started=False)
    assert await _bounded(turn.next()) == second
    await turn.ended(second)
    assert await _bounded(turn.next()) == third
    await turn.ended(third)
    assert await _bounded(turn.next()) is None
    assert due.asked == [2, 2, 2]


async def test_a_batch_of_nothing_new_ends_the_turn() -> None:
    gone = _due(1)
    due = FakeDue([gone], [gone], [gone], [_due(2)])  # the last never read
    turn = _turn(due, lanes=1, per_batch=1)
    assert await _bounded(turn.next()) == gone  # read ahead: still due, as it has not started
    await turn.ended(gone, started=False)
    assert await _bounded(turn.next()) is None  # read past it: nothing new
    assert due.asked == [1, 1, 2]


async def test_the_next_batch_is_read_while_side_by_side_jobs_run() -> None:
    first, second = _due(1), _due(2)
    due = FakeDue([first], [second])
    turn = _turn(due, lanes=2, per_batch=1)
    assert await _bounded(turn.next()) == first
    assert await _bounded(turn.next()) == second  # read while ``first`` runs
    assert due.asked == [1, 1, 1]  # and once more as ``second`` left none waiting: nothing


async def test_the_next_batch_waits_while_a_job_of_another_kind_runs() -> None:
    alone, second = _due(1, ALONE), _due(2)
    due = FakeDue([alone], [second])
    turn = _turn(due, lanes=2, per_batch=1)
    assert await _bounded(turn.next()) == alone
    reader = asyncio.create_task(turn.next())
    assert await _still_waiting(reader)
    assert due.asked == [1]  # not read ahead beside ``alone``
    await turn.ended(alone)
    assert await _bounded(reader) == second
    assert due.asked == [1, 1, 1]  # and once more as ``second`` left none waiting: nothing


async def test_runners_end_jobs_while_a_batch_is_read() -> None:
    first, second = _due(1), _due(2)
    due = FakeDue([first], [second])
    turn = _turn(due, lanes=2, per_batch=1)
    assert await _bounded(turn.next()) == first
    due.reading.clear()
    due.gate = asyncio.Event()
    reader = asyncio.create_task(turn.next())
    await _bounded(due.reading.wait())
    other = asyncio.create_task(turn.next())  # waits for the read, does not read too
    await _bounded(turn.ended(first))
    assert await _still_waiting(other)
    due.gate.set()
    assert {await _bounded(reader), await _bounded(other)} == {second, None}
    assert due.asked == [1, 1, 1]  # the second batch was full: one more read found nothing


async def test_per_turn_caps_the_jobs_handed_out() -> None:
    jobs = [_due(number) for number in range(1, 7)]
    due = FakeDue(jobs[:2], jobs[2:4], jobs[4:])
    turn = _turn(due, lanes=1, per_turn=3, per_batch=2)
    assert await _bounded(turn.next()) == jobs[0]
    assert turn.next_with(jobs[0]) == jobs[1]
    await turn.ended(jobs[0])  # none left waiting: read ahead, only what the cap leaves
    assert due.asked == [2, 1]
    assert turn.next_with(jobs[1]) == jobs[2]
    await turn.ended(jobs[1])
    assert turn.next_with(jobs[2]) is None  # the cap
    await turn.ended(jobs[2])
    assert await _bounded(turn.next()) is None
    assert due.asked == [2, 1]


async def test_per_turn_caps_next_with_too() -> None:
    jobs = [_due(number) for number in range(1, 4)]
    turn = _turn(FakeDue(jobs), lanes=1, per_turn=2)
    assert await _bounded(turn.next()) == jobs[0]
    assert turn.next_with(jobs[0]) == jobs[1]
    await turn.ended(jobs[0])
    assert turn.next_with(jobs[1]) is None
    await turn.ended(jobs[1])
    assert await _bounded(turn.next()) is None


async def test_a_short_batch_is_the_turns_last_read() -> None:
    jobs = [_due(1), _due(2)]
    due = FakeDue(jobs, [_due(3)])
    turn = _turn(due, lanes=1, per_batch=3)
    for job in jobs:
        assert await _bounded(turn.next()) == job
        await turn.ended(job)
    assert await _bounded(turn.next()) is None
    assert due.asked == [3]


async def test_one_lane_hands_out_one_job_at_a_time() -> None:
    first, second = _due(1), _due(2)
    turn = _turn(FakeDue([first, second]), lanes=1)
    assert turn.lanes == 1
    assert await _bounded(turn.next()) == first
    second_runner = asyncio.create_task(turn.next())
    assert await _still_waiting(second_runner)
    await turn.ended(first)
    assert await _bounded(second_runner) == second


async def test_jobs_are_read_ahead_as_runners_take_the_last_waiting() -> None:
    """With fewer jobs waiting than runners, the next batch is read as a job is handed out or
    one ends, so a runner's next job is there to start as its last one's outcome is saved; the
    read asks for a batch beyond the jobs still waiting (a real read answers them again)."""
    jobs = [_due(number) for number in range(1, 6)]
    due = FakeDue(jobs[:3], jobs[3:])
    turn = _turn(due, lanes=2, per_batch=3)
    assert await _bounded(turn.next()) == jobs[0]
    assert due.asked == [3]  # two wait, as many as the runners: no read yet
    assert await _bounded(turn.next()) == jobs[1]
    assert due.asked == [3, 4]  # one waits: read beyond it
    assert turn.next_with(jobs[0]) == jobs[2]
    await turn.ended(jobs[0])
    assert turn.next_with(jobs[1]) == jobs[3]  # there though the first batch is all out


async def test_a_job_whose_outcome_is_saved_holds_no_runner_but_keeps_its_entity() -> None:
    first, second = _due(1), _due(2)
    other, fifth, same = _due(3), _due(5), _due(4, entity_id="entity-1")
    turn = _turn(FakeDue([first, second, other, fifth, same]), lanes=2)
    assert await _bounded(turn.next()) == first
    assert await _bounded(turn.next()) == second
    assert turn.next_with(first) == other  # ``first``'s outcome is being saved: no runner
    assert turn.next_with(second) == fifth  # so two run beside the two being saved
    reader = asyncio.create_task(turn.next())
    assert await _still_waiting(reader)  # ``same`` waits for ``first`` to end, and a runner
    await turn.ended(first)
    await turn.ended(second)
    assert await _still_waiting(reader)
    await turn.ended(other)
    assert await _bounded(reader) == same


class _SecondReadHeld(FakeDue):
    """The second read is held until ``release`` is set (``second_read`` tells it began), or
    fails when ``fails`` is set."""

    def __init__(self, *batches: list[DueJob], fails: bool = False) -> None:
        super().__init__(*batches)
        self.second_read = asyncio.Event()
        self.release = asyncio.Event()
        self.fails = fails

    async def __call__(self, limit: int) -> list[DueJob]:
        if len(self.asked) == 1:
            self.second_read.set()
            if self.fails:
                self.asked.append(limit)
                raise ConnectionError("the database went away")
            await self.release.wait()
        return await super().__call__(limit)


async def test_a_read_ahead_that_fails_ends_the_reading_not_the_jobs_handed_out() -> None:
    jobs = [_due(number) for number in range(1, 4)]
    due = _SecondReadHeld(jobs[:2], [jobs[2]], fails=True)
    turn = _turn(due, lanes=3, per_batch=2)
    assert await _bounded(turn.next()) == jobs[0]  # the read ahead failed behind it
    assert due.asked == [2, 3]
    assert turn.next_with(jobs[0]) == jobs[1]
    await turn.ended(jobs[0])  # no read any more, and no failure
    assert due.asked == [2, 3]
    assert await _bounded(turn.next()) is None  # the next turn reads again
    assert not turn.stopped


async def test_a_job_that_ends_while_a_batch_is_read_is_not_handed_out_again() -> None:
    first, second, third = _due(1), _due(2), _due(3)
    due = _SecondReadHeld([first, second], [first, third])  # read as ``first`` was still due
    turn = _turn(due, lanes=3, per_batch=2)
    handing = asyncio.create_task(turn.next())
    await _bounded(due.second_read.wait())
    await _bounded(turn.ended(first))
    due.release.set()
    assert await _bounded(handing) == first
    assert [await _bounded(turn.next()) for _ in range(2)] == [second, third]
    assert await _bounded(turn.next()) is None


async def test_the_backlog_counts_the_jobs_read_and_a_batch_more_while_more_may_be_due() -> None:
    full_batch = [_due(number) for number in range(1, 5)]
    turn = _turn(FakeDue(full_batch, [_due(5)]), lanes=1, per_batch=4)
    assert turn.backlog() == 4  # nothing read yet: a batch may be due
    assert await _bounded(turn.next()) == full_batch[0]
    assert turn.backlog() == 3 + 4  # three read and waiting; the batch was full: more may be
    short = _turn(FakeDue([_due(1), _due(2)]), lanes=1, per_batch=4)
    assert await _bounded(short.next()) == _due(1)
    assert short.backlog() == 1  # a short batch was all that was due


class DueTable:
    """Reads as the database does: the first jobs still due, in order, up to the limit asked
    for; a job handed out stays due until its runner starts it (:meth:`start`)."""

    def __init__(self, jobs: list[DueJob]) -> None:
        self.jobs = jobs
        self.started: set[int] = set()
        self.asked: list[int] = []

    async def __call__(self, limit: int) -> list[DueJob]:
        self.asked.append(limit)
        return [job for job in self.jobs if job.job_id not in self.started][:limit]

    def start(self, job: DueJob) -> None:
        self.started.add(job.job_id)


async def test_more_runners_than_a_batch_all_get_jobs_though_none_has_started_yet() -> None:
    """Runners whose jobs wait to start (for a place at the worker's gate) leave those jobs due:
    a read must reach past them, or it finds nothing new and ends the turn with jobs left."""
    jobs = [_due(number) for number in range(1, 51)]
    table = DueTable(jobs)
    turn = _turn(table, lanes=25, per_batch=10)  # type: ignore[arg-type]

    handed = [await _bounded(turn.next()) for _ in range(25)]
    assert handed == jobs[:25]
    for job in handed:  # they start, run and end, each runner asking for its next
        table.start(job)
        await turn.ended(job)
    following = [await _bounded(turn.next()) for _ in range(25)]
    assert following == jobs[25:]


async def test_a_read_reaches_past_handed_out_jobs_once_and_then_ends_the_turn() -> None:
    """A full batch of jobs handed out and jobs that could not start (still due, as read) is
    read once more past the handed-out ones; the same again ends the turn, never a loop of
    reads while a runner waits to start its job."""
    held, stuck = _due(1), _due(2)
    table = DueTable([held, stuck])  # neither ever starts
    turn = _turn(table, lanes=2, per_batch=1)  # type: ignore[arg-type]
    assert await _bounded(turn.next()) == held  # read ahead met ``held``, still due
    assert await _bounded(turn.next()) == stuck  # read past it
    await turn.ended(stuck, started=False)
    assert await _bounded(turn.next()) is None  # past ``held``: ``stuck`` only, nothing new
    assert table.asked == [1, 1, 2, 2, 3]  # the last one short: nothing more due
