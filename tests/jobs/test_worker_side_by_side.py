"""An installation's jobs side by side in one turn (``worker_jobs_per_installation`` lanes):
jobs of kinds registered ``side_by_side`` run at once unless they are of the same kind and
entity, a job of any other kind runs alone, nothing overtakes a job that waits, and a lane that
ends the turn leaves the others to finish."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    connected_as,
    job_settings,
    load_job,
    make_worker,
    simulate_crashed_run,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.jobs import worker as worker_module
from upsales_fortnox.jobs.runs import DueJob, RunningJob
from upsales_fortnox.jobs.turn import TurnJobs
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 20
SIDE = "side.job"
ALONE = "alone.job"


@dataclass
class Board:
    """What the handlers and the worker's turns did, on one sequence of events; handlers wait
    on it with :meth:`until` for what they are to run beside."""

    sequence: itertools.count[int] = field(default_factory=itertools.count)
    started: dict[int, int] = field(default_factory=dict)
    ended: dict[int, int] = field(default_factory=dict)
    most_at_once: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    """Job id: how often a runner found it could not start yet."""
    handed_out: list[tuple[int, int]] = field(default_factory=list)
    told_none: int = 0
    """How often a runner was told the turn is over for it."""
    """(turn number, job id) as the turns handed jobs out."""
    turns: list[TurnJobs] = field(default_factory=list)
    holds: dict[int, Callable[[], bool]] = field(default_factory=dict)
    """Job id: what its handler waits for before it ends."""
    fail: set[int] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> set[int]:
        return set(self.started) - set(self.ended)

    @property
    def stopped(self) -> bool:
        """A turn stopped (a lane ended it; or its lanes are all done)."""
        return any(turn.stopped for turn in self.turns)

    def changed(self) -> None:
        self._changed.set()

    async def until(self, predicate: Callable[[], bool]) -> None:
        async def watch() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(watch(), SAFETY_TIMEOUT)

    async def handler(self, ctx: JobContext) -> Result:
        self.started[ctx.job_id] = next(self.sequence)
        self.most_at_once = max(self.most_at_once, len(self.running))
        self.changed()
        try:
            if ctx.job_id in self.holds:
                await self.until(self.holds[ctx.job_id])
            if ctx.job_id in self.fail:
                raise RuntimeError("the handler fails")
        finally:
            self.ended[ctx.job_id] = next(self.sequence)
            self.changed()
        return Result({"job": ctx.job_id})

    def registry(self) -> HandlerRegistry:
        registry = HandlerRegistry()
        registry.register(SIDE, self.handler, side_by_side=True)
        registry.register(ALONE, self.handler)
        return registry

    def overlap(self, first: int, second: int) -> bool:
        return self.started[first] < self.ended[second] and self.started[second] < self.ended[first]

    def before(self, first: int, second: int) -> bool:
        """``first`` ended before ``second`` started."""
        return self.ended[first] < self.started[second]


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> Board:
    """A board that also watches every turn the worker makes."""
    board = Board()

    class WatchedTurn(TurnJobs):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            board.turns.append(self)

        def _fits(self, due: DueJob, *, leaving: int | None = None) -> bool:
            fits = super()._fits(due, leaving=leaving)
            if not fits:
                board.refused[due.job_id] += 1
                board.changed()
            return fits

        def _hand_out(self) -> DueJob:
            due = super()._hand_out()
            board.handed_out.append((board.turns.index(self), due.job_id))
            return due

        async def next(self) -> DueJob | None:
            due = await super().next()
            if due is None:
                board.told_none += 1
                board.changed()
            return due

        async def stop(self) -> None:
            await super().stop()
            board.changed()

    monkeypatch.setattr(worker_module, "TurnJobs", WatchedTurn)
    return board


def _worker(session_factory: Factory, board: Board, clock: FakeClock, lanes: int) -> Worker:
    settings = job_settings(worker_jobs_per_installation=lanes)
    return make_worker(session_factory, board.registry(), clock, settings=settings)


async def _run_once(worker: Worker) -> int:
    return await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT)


async def _add_jobs(
    session_factory: Factory, installation_id: uuid.UUID, clock: FakeClock, *kinds: str
) -> list[int]:
    return [
        await add_job(session_factory, installation_id, clock, kind=kind, entity_id=str(number))
        for number, kind in enumerate(kinds)
    ]


async def _statuses(session_factory: Factory, job_ids: list[int]) -> list[str]:
    return [(await load_job(session_factory, job_id)).status for job_id in job_ids]


async def test_side_by_side_jobs_of_different_entities_fill_the_lanes(
    session_factory: Factory, board: Board
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_ids = await _add_jobs(session_factory, installation_id, clock, *[SIDE] * 7)
    released: set[int] = set()
    for job_id in job_ids:
        board.holds[job_id] = partial(set.__contains__, released, job_id)
    worker = _worker(session_factory, board, clock, lanes=3)
    run = asyncio.ensure_future(_run_once(worker))

    def lanes_full() -> bool:
        return len(board.running) == min(3, len(job_ids) - len(board.ended))

    while len(board.ended) < len(job_ids):
        await board.until(lanes_full)
        released.add(min(board.running))  # the oldest running one ends
        board.changed()
        await board.until(lambda: released <= set(board.ended))

    assert await run == len(job_ids)
    assert board.most_at_once == 3
    assert [turn.lanes for turn in board.turns] == [3]
    assert await _statuses(session_factory, job_ids) == [JobStatus.DONE] * len(job_ids)
    assert [job_id for _, job_id in board.handed_out] == job_ids


async def test_jobs_of_one_kind_and_entity_never_overlap_and_nothing_overtakes(
    session_factory: Factory, board: Board
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    older = await add_job(session_factory, installation_id, clock, kind=SIDE, entity_id="x")
    # its last run lost its worker: due again, not queued, so a newer change is queued beside it
    await simulate_crashed_run(session_factory, older, clock, lease_left_seconds=-1)
    newer = await add_job(session_factory, installation_id, clock, kind=SIDE, entity_id="x")
    other = await add_job(session_factory, installation_id, clock, kind=SIDE, entity_id="y")
    # The older run lasts until both other runners found ``newer`` may not start beside it
    # (or, were that broken, until another job started).
    board.holds[older] = lambda: board.refused[newer] >= 2 or len(board.started) > 1
    board.holds[newer] = lambda: other in board.started  # ``other`` runs beside it
    worker = _worker(session_factory, board, clock, lanes=3)

    assert await _run_once(worker) == 3
    assert board.before(older, newer)
    assert board.before(older, other)  # ``other`` did not overtake ``newer``
    assert board.overlap(newer, other)
    assert await _statuses(session_factory, [older, newer, other]) == [JobStatus.DONE] * 3
    assert (await load_job(session_factory, older)).attempts == 2


async def test_a_job_of_another_kind_runs_alone_and_keeps_its_place(
    session_factory: Factory, board: Board
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    side_1, side_2, alone, side_3, side_4 = await _add_jobs(
        session_factory, installation_id, clock, SIDE, SIDE, ALONE, SIDE, SIDE
    )
    first_two = {side_1, side_2}
    # The first two run together until the third runner found ``alone`` may not start yet.
    for job_id in first_two:
        board.holds[job_id] = lambda: (
            first_two <= set(board.started)
            and (board.refused[alone] >= 1 or alone in board.started)
        )
    # ``alone`` runs until both other runners found ``side_3`` may not start beside it.
    board.holds[alone] = lambda: board.refused[side_3] >= 2 or side_3 in board.started
    board.holds[side_3] = lambda: side_4 in board.started
    worker = _worker(session_factory, board, clock, lanes=3)

    assert await _run_once(worker) == 5
    assert board.overlap(side_1, side_2)
    assert board.before(side_1, alone) and board.before(side_2, alone)
    assert board.before(alone, side_3) and board.before(alone, side_4)
    assert board.overlap(side_3, side_4)
    assert board.most_at_once == 2
    job_ids = [side_1, side_2, alone, side_3, side_4]
    assert [job_id for _, job_id in board.handed_out] == job_ids
    assert await _statuses(session_factory, job_ids) == [JobStatus.DONE] * 5


async def test_one_lane_runs_one_job_at_a_time_each_started_with_the_last_outcome(
    session_factory: Factory, board: Board
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_ids = await _add_jobs(session_factory, installation_id, clock, SIDE, SIDE, ALONE, SIDE)
    worker = _worker(session_factory, board, clock, lanes=1)
    store = worker._store
    start = store.start
    own_starts: list[int] = []

    async def counted_start(installation_id: uuid.UUID, due: DueJob) -> RunningJob | None:
        own_starts.append(due.job_id)
        return await start(installation_id, due)

    store.start = counted_start  # type: ignore[method-assign]

    assert await _run_once(worker) == 4
    assert [turn.lanes for turn in board.turns] == [1]
    assert board.most_at_once == 1
    assert sorted(board.started, key=board.started.__getitem__) == job_ids
    assert all(board.before(a, b) for a, b in itertools.pairwise(job_ids))
    assert own_starts == job_ids[:1]  # every later one started as the one before was saved
    assert await _statuses(session_factory, job_ids) == [JobStatus.DONE] * 4


async def test_a_failing_handler_is_retried_while_the_other_lanes_go_on(
    session_factory: Factory, board: Board
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    failing, side_2, side_3, side_4 = await _add_jobs(
        session_factory, installation_id, clock, SIDE, SIDE, SIDE, SIDE
    )
    board.fail.add(failing)
    board.holds[failing] = lambda: {side_2, side_3} <= set(board.started)
    for job_id in (side_2, side_3):
        board.holds[job_id] = lambda: failing in board.ended
    worker = _worker(session_factory, board, clock, lanes=3)

    assert await _run_once(worker) == 4
    # The failure ended no turn: ``side_4`` ran in the same one.
    assert [turn for turn, _ in board.handed_out] == [0] * 4
    assert board.before(failing, side_4)
    job = await load_job(session_factory, failing)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.last_error is not None and "the handler fails" in job.last_error
    assert await _statuses(session_factory, [side_2, side_3, side_4]) == [JobStatus.DONE] * 3


async def test_a_runner_out_of_jobs_leaves_the_one_handed_out_with_a_failure_to_start(
    session_factory: Factory, board: Board
) -> None:
    """``later`` is handed to the failing job's runner as its outcome is saved, but a retry
    starts no job with it; the other runner, finding nothing more, ends without taking
    ``later``'s start away (it runs in this turn, not the next)."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    failing, other, later = await _add_jobs(session_factory, installation_id, clock, *[SIDE] * 3)
    board.fail.add(failing)
    board.holds[failing] = lambda: other in board.started
    board.holds[other] = lambda: failing in board.ended
    worker = _worker(session_factory, board, clock, lanes=2)
    record = worker._outcomes.record

    async def record_once_the_other_runner_is_done(job: Any, *args: Any, **kwargs: Any) -> Any:
        if job.job_id == failing:
            await board.until(lambda: board.told_none >= 1)
        return await record(job, *args, **kwargs)

    worker._outcomes.record = record_once_the_other_runner_is_done  # type: ignore[method-assign]

    assert await _run_once(worker) == 3
    assert board.handed_out == [(0, failing), (0, other), (0, later)]
    assert (await load_job(session_factory, failing)).status == JobStatus.QUEUED
    assert await _statuses(session_factory, [other, later]) == [JobStatus.DONE] * 2


async def _steal_own_job(session_factory: Factory, ctx: JobContext) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            update(SyncJob).where(SyncJob.id == ctx.job_id).values(lease_owner="newer-worker")
        )
    await ctx.checkpoint({"step": 1})  # raises LeaseLost


async def _failing_record(worker: Worker, job_id: int) -> None:
    record = worker._outcomes.record

    async def record_or_fail(job: Any, *args: Any, **kwargs: Any) -> Any:
        if job.job_id == job_id:
            raise RuntimeError("the database went away")
        return await record(job, *args, **kwargs)

    worker._outcomes.record = record_or_fail  # type: ignore[method-assign]


@pytest.mark.parametrize("ending", ["lease_lost", "lane_failed"])
async def test_a_lane_that_ends_the_turn_lets_the_other_lanes_finish(
    session_factory: Factory, board: Board, ending: str
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first, side_2, side_3, later = await _add_jobs(
        session_factory, installation_id, clock, SIDE, SIDE, SIDE, SIDE
    )
    for job_id in (side_2, side_3):
        board.holds[job_id] = lambda: board.stopped  # they run on after the turn stopped
    worker = _worker(session_factory, board, clock, lanes=3)
    if ending == "lease_lost":

        async def handler(ctx: JobContext) -> Result:
            if ctx.job_id == first:
                await board.until(lambda: {side_2, side_3} <= set(board.started))
                await _steal_own_job(session_factory, ctx)
            return await board.handler(ctx)

        worker._registry = HandlerRegistry()
        worker._registry.register(SIDE, handler, side_by_side=True)
    else:
        board.holds[first] = lambda: {side_2, side_3} <= set(board.started)
        await _failing_record(worker, first)

    async with connected_as(session_factory, "newer-worker"):
        processed = await _run_once(worker)

    # The first turn started nothing more (``later`` may have been handed out with the first
    # job's outcome, then not started); the next turn ran it.
    assert board.handed_out[:3] == [(0, first), (0, side_2), (0, side_3)]
    assert board.handed_out[-1] == (1, later)
    assert board.before(side_2, later) and board.before(side_3, later)
    assert processed == 3
    done = [side_2, side_3, later]
    assert await _statuses(session_factory, done) == [JobStatus.DONE] * 3
    first_job = await load_job(session_factory, first)
    owner = "newer-worker" if ending == "lease_lost" else worker.worker_id
    assert (first_job.status, first_job.lease_owner) == (JobStatus.RUNNING, owner)
