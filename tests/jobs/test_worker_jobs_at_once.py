"""A worker's jobs at work at once across its installations (``worker_jobs_at_once``): no more
than the limit, a job waiting on the outside world lets another work meanwhile, and the gate
hears from each turn how much of its installation's work waits (:mod:`~upsales_fortnox.jobs.
run_gate` decides who goes first; its own tests show how)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.jobs import test_worker_side_by_side as side_by_side
from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    load_job,
    make_worker,
)
from tests.jobs.test_worker_side_by_side import SIDE, Board, Factory
from upsales_fortnox.core.config import Settings
from upsales_fortnox.integrations.send_check import before_sending
from upsales_fortnox.integrations.step_aside import waiting_outside
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.jobs import worker as worker_module
from upsales_fortnox.jobs.run_gate import RunGate
from upsales_fortnox.vocabulary import JobStatus

SAFETY_TIMEOUT = 20
board = side_by_side.board  # the fixture: a board that watches the worker's turns


def _worker(
    session_factory: Factory, registry: HandlerRegistry, *, at_once: int, lanes: int, serving: int
) -> Worker:
    settings = job_settings(
        worker_jobs_at_once=at_once,
        worker_jobs_per_installation=lanes,
        worker_concurrency=serving,
    )
    return make_worker(session_factory, registry, FakeClock(), settings=settings)


class WatchedGate(RunGate):
    """Records, for each place asked for, the backlog its turn reported, and the most jobs
    at work at once."""

    gates: list[WatchedGate] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backlogs: list[int] = []
        self.most_at_work = 0
        WatchedGate.gates.append(self)

    @asynccontextmanager
    async def place(self, backlog: Callable[[], int]) -> AsyncIterator[None]:
        self.backlogs.append(backlog())
        async with super().place(backlog):
            self.most_at_work = max(self.most_at_work, self.at_work)
            yield


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> list[WatchedGate]:
    WatchedGate.gates = []
    monkeypatch.setattr(worker_module, "RunGate", WatchedGate)
    return WatchedGate.gates


async def _jobs(session_factory: Factory, installation_id: uuid.UUID, count: int) -> list[int]:
    clock = FakeClock()
    return [
        await add_job(session_factory, installation_id, clock, kind=SIDE, entity_id=str(number))
        for number in range(count)
    ]


async def test_no_more_jobs_at_work_than_the_limit_across_installations(
    session_factory: Factory, board: Board, gates: list[WatchedGate]
) -> None:
    job_ids = [
        job_id
        for _ in range(3)
        for job_id in await _jobs(session_factory, await add_installation(session_factory), 2)
    ]
    # Each job lasts until jobs wait for a place, or (were the limit broken) three run at once.
    for job_id in job_ids:
        board.holds[job_id] = lambda: (
            gates[0].waiting > 0 or len(board.running) > 2 or len(board.ended) >= len(job_ids) - 2
        )
    worker = _worker(session_factory, board.registry(), at_once=2, lanes=2, serving=3)
    assert await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT) == len(job_ids)
    assert gates[0].most_at_work == 2
    assert board.most_at_once <= 2
    assert gates[0].at_work == 0


async def test_a_job_waiting_outside_lets_another_work_meanwhile(
    session_factory: Factory,
) -> None:
    installation_id = await add_installation(session_factory)
    first, second = await _jobs(session_factory, installation_id, 2)
    started: list[int] = []
    second_started = asyncio.Event()

    async def handler(ctx: JobContext) -> Result:
        started.append(ctx.job_id)
        if ctx.job_id == first:
            async with waiting_outside():  # as a job waiting for Fortnox's answer
                await second_started.wait()
        else:
            second_started.set()
        return Result({})

    registry = HandlerRegistry()
    registry.register(SIDE, handler, side_by_side=True)
    worker = _worker(session_factory, registry, at_once=1, lanes=2, serving=1)
    assert await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT) == 2
    assert started == [first, second]


async def test_each_turn_tells_the_gate_how_much_of_its_installation_waits(
    session_factory: Factory, board: Board, gates: list[WatchedGate]
) -> None:
    busy = await _jobs(session_factory, await add_installation(session_factory, name="Busy"), 6)
    small = await _jobs(session_factory, await add_installation(session_factory, name="Small"), 1)
    worker = _worker(session_factory, board.registry(), at_once=1, lanes=1, serving=2)
    assert await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT) == 7
    assert sorted(board.started) == sorted(busy + small)
    # one place per job: the busy one's turn told 5, 4, ... 0 jobs left; the small one's 0
    assert sorted(gates[0].backlogs) == [0, 0, 1, 2, 3, 4, 5]


async def test_by_default_installations_waiting_for_their_budget_leave_room_for_others(
    session_factory: Factory,
) -> None:
    """Six installations whose jobs wait on Fortnox until a seventh one's job has run: by
    default a worker serves them all at once (serving four, it waited for ever)."""
    waiting_ids = [
        (await _jobs(session_factory, await add_installation(session_factory), 1))[0]
        for _ in range(6)
    ]
    other = (await _jobs(session_factory, await add_installation(session_factory), 1))[0]
    other_ran = asyncio.Event()

    async def handler(ctx: JobContext) -> Result:
        if ctx.job_id == other:
            other_ran.set()
        else:
            async with waiting_outside():  # as a job waiting for its tenant's budget
                await other_ran.wait()
        return Result({})

    registry = HandlerRegistry()
    registry.register(SIDE, handler, side_by_side=True)
    default = {name: field.default for name, field in Settings.model_fields.items()}
    worker = _worker(
        session_factory,
        registry,
        at_once=default["worker_jobs_at_once"],
        lanes=default["worker_jobs_per_installation"],
        serving=default["worker_concurrency"],
    )
    assert await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT) == len(waiting_ids) + 1


async def test_a_job_started_with_the_last_outcome_keeps_its_lease_while_it_waits_for_a_place(
    session_factory: Factory, gates: list[WatchedGate]
) -> None:
    """The job started in the transaction that saved its runner's last one waits at the gate
    (no heartbeat renews its leases meanwhile) past most of its lease: it still runs, and
    writes, under its lease."""
    clock = FakeClock()
    chained = await add_installation(session_factory, name="Chained")
    first = await add_job(session_factory, chained, clock, kind="one.at.a.time")
    second = await add_job(session_factory, chained, clock, kind="one.at.a.time")
    other = await add_job(session_factory, await add_installation(session_factory), clock)
    first_started, other_back = asyncio.Event(), asyncio.Event()
    wrote: list[int] = []

    async def handler(ctx: JobContext) -> Result:
        if ctx.job_id == first:
            first_started.set()
            async with waiting_outside():  # lets the other job in
                await other_back.wait()
        elif ctx.job_id == other:
            async with waiting_outside():
                await first_started.wait()
            other_back.set()  # back past the limit: it holds the one place now
            while not gates[0].waiting:  # until the second job waits for it  # noqa: ASYNC110
                await asyncio.sleep(0)
            clock.advance(LEASE_SECONDS - 5)  # the second job waited most of its lease
        else:
            before_sending()  # as a job about to send a write
            wrote.append(ctx.attempt)
        return Result({})

    registry = HandlerRegistry()
    registry.register("one.at.a.time", handler)
    registry.register("test.job", handler)
    settings = job_settings(
        worker_jobs_at_once=1, worker_jobs_per_installation=1, worker_concurrency=2
    )
    worker = make_worker(session_factory, registry, clock, settings=settings)
    await asyncio.wait_for(worker.run_once(), SAFETY_TIMEOUT)
    assert wrote == [1]  # its first run wrote: its lease was not taken as lost
    row = await load_job(session_factory, second)
    assert (row.status, row.attempts) == (JobStatus.DONE.value, 1)
