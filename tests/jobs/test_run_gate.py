"""How many jobs a worker has at work at once, and who goes first (:class:`RunGate` on its own,
no database): the limit, the longest queue first, patience, and stepping aside while waiting on
the outside world."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from upsales_fortnox.integrations.step_aside import waiting_outside
from upsales_fortnox.jobs.run_gate import RunGate

T = TypeVar("T")
SAFETY_TIMEOUT = 5


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, SAFETY_TIMEOUT)


async def _settle() -> None:
    """Let every ready task run until it waits again (nothing here waits on I/O)."""
    for _ in range(20):
        await asyncio.sleep(0)


class Jobs:
    """Jobs that take a place and keep it until told to leave; ``order`` is the order in which
    they got in."""

    def __init__(self, gate: RunGate) -> None:
        self.gate = gate
        self.order: list[str] = []
        self.leave: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, backlog: int = 0) -> asyncio.Task[None]:
        self.leave[name] = asyncio.Event()

        async def job() -> None:
            async with self.gate.place(lambda: backlog):
                self.order.append(name)
                await self.leave[name].wait()

        task = self.tasks[name] = asyncio.create_task(job())
        return task

    async def end(self, name: str) -> None:
        self.leave[name].set()
        await _bounded(self.tasks[name])
        await _settle()


async def test_no_more_than_the_limit_at_work_and_the_rest_wait_their_turn() -> None:
    jobs = Jobs(RunGate(2))
    for name in ("a", "b", "c", "d"):
        jobs.start(name)
    await _settle()
    assert jobs.order == ["a", "b"]
    assert (jobs.gate.at_work, jobs.gate.waiting) == (2, 2)
    await jobs.end("b")
    assert jobs.order == ["a", "b", "c"]
    await jobs.end("a")
    await jobs.end("c")
    await jobs.end("d")
    assert jobs.order == ["a", "b", "c", "d"]
    assert (jobs.gate.at_work, jobs.gate.waiting) == (0, 0)


async def test_the_longest_queue_goes_first_and_equals_by_arrival() -> None:
    jobs = Jobs(RunGate(1))
    jobs.start("holder")
    await _settle()
    for name, backlog in (("small", 1), ("busy", 12), ("middle", 5), ("busy_too", 12)):
        jobs.start(name, backlog)
    await _settle()
    for name in ("holder", "busy", "busy_too", "middle"):
        await jobs.end(name)
    assert jobs.order == ["holder", "busy", "busy_too", "middle", "small"]


async def test_a_job_that_waited_its_patience_goes_before_busier_ones() -> None:
    clock = Clock()
    jobs = Jobs(RunGate(1, patience_seconds=10.0, clock=clock))
    jobs.start("holder")
    await _settle()
    jobs.start("small", 0)
    await _settle()
    clock.now = 6.0
    jobs.start("busy", 20)
    await _settle()
    clock.now = 9.9
    await jobs.end("holder")
    assert jobs.order[-1] == "busy"  # the small one has not waited its patience yet
    jobs.start("busy_again", 20)
    await _settle()
    clock.now = 10.0
    await jobs.end("busy")
    assert jobs.order == ["holder", "busy", "small"]
    await jobs.end("small")
    await jobs.end("busy_again")


async def test_a_job_waiting_outside_gives_its_place_and_comes_back_past_the_limit() -> None:
    gate = RunGate(1)
    answer = asyncio.Event()
    seen: list[tuple[str, int]] = []

    async def calling() -> None:
        async with gate.place(lambda: 0):
            async with waiting_outside():
                seen.append(("asking", gate.at_work))
                await answer.wait()
            seen.append(("answered", gate.at_work))

    jobs = Jobs(gate)
    caller = asyncio.create_task(calling())
    await _settle()
    jobs.start("other")
    await _settle()
    assert jobs.order == ["other"]  # got the caller's place while it waited
    answer.set()
    await _bounded(caller)
    assert seen == [("asking", 0), ("answered", 2)]  # back at once, past the limit of 1
    jobs.start("third")
    await _settle()
    assert jobs.order == ["other"]  # nobody new gets in while two are at work
    await jobs.end("other")
    assert jobs.order == ["other", "third"]
    await jobs.end("third")
    assert gate.at_work == 0


async def test_waits_within_waits_and_the_tasks_a_job_starts_step_aside_once() -> None:
    gate = RunGate(1)
    counts: list[int] = []

    async def inner() -> None:
        async with waiting_outside():
            counts.append(gate.at_work)

    async def job() -> None:
        async with gate.place(lambda: 0):
            async with waiting_outside():
                await inner()
            counts.append(gate.at_work)
            await asyncio.create_task(inner())  # a task made in the place steps aside too
            counts.append(gate.at_work)

    await _bounded(job())
    assert counts == [0, 1, 0, 1]
    assert gate.at_work == 0


async def test_outside_a_job_waiting_outside_is_just_a_wait() -> None:
    gate = RunGate(1)
    async with waiting_outside():
        pass
    assert gate.at_work == 0


async def test_a_job_cancelled_while_waiting_for_a_place_leaves_no_trace() -> None:
    jobs = Jobs(RunGate(1))
    jobs.start("holder")
    jobs.start("gone", 9)
    jobs.start("next", 1)
    await _settle()
    jobs.tasks["gone"].cancel()
    await _settle()
    assert jobs.gate.waiting == 1
    await jobs.end("holder")
    assert jobs.order == ["holder", "next"]
    await jobs.end("next")
    assert (jobs.gate.at_work, jobs.gate.waiting) == (0, 0)


async def test_a_job_holding_a_lock_while_it_waits_outside_always_comes_back() -> None:
    """The places are all taken by jobs waiting for a lock whose holder stepped aside: the
    holder comes back without a free place, so nobody waits for ever."""
    gate = RunGate(2)
    lock = asyncio.Lock()
    answer = asyncio.Event()
    done: list[str] = []

    async def holder() -> None:
        async with gate.place(lambda: 0), lock:
            async with waiting_outside():
                await answer.wait()
            done.append("holder")

    async def waiter(name: str) -> None:
        async with gate.place(lambda: 0), lock:
            done.append(name)

    tasks = [asyncio.create_task(holder())]
    await _settle()
    tasks += [asyncio.create_task(waiter(name)) for name in ("first", "second", "third")]
    await _settle()
    assert (gate.at_work, gate.waiting) == (2, 1)  # two places, both waiting for the lock
    answer.set()
    await _bounded(asyncio.gather(*tasks))
    assert done == ["holder", "first", "second", "third"]
    assert gate.at_work == 0


@pytest.mark.parametrize("limit", [0, -3])
def test_the_limit_is_at_least_one(limit: int) -> None:
    assert RunGate(limit).limit == 1


async def test_a_task_still_waiting_outside_when_its_job_ends_does_not_come_back() -> None:
    gate = RunGate(1)
    answer = asyncio.Event()
    calling: list[asyncio.Task[None]] = []

    async def call() -> None:
        async with waiting_outside():
            await answer.wait()

    async with gate.place(lambda: 0):
        calling.append(asyncio.create_task(call()))  # left running past the job's end
        await _settle()
        assert gate.at_work == 0
    assert gate.at_work == 0
    answer.set()
    await _bounded(calling[0])
    assert gate.at_work == 0  # its place was given back once, and it holds none now


async def test_a_task_still_at_work_when_its_job_ends_gives_no_place_back_when_it_waits() -> None:
    """A task the job made and left running (a sibling in a gather that raised, say) that
    waits outside after the job's end: the job's place was given back once, at its end."""
    gate = RunGate(1)
    go_on = asyncio.Event()
    answer = asyncio.Event()
    left: list[asyncio.Task[None]] = []

    async def straggler() -> None:
        await go_on.wait()  # at work, not aside, as the job ends
        async with waiting_outside():
            await answer.wait()

    async with gate.place(lambda: 0):
        left.append(asyncio.create_task(straggler()))
        await _settle()
    jobs = Jobs(gate)
    jobs.start("next")
    await _settle()
    assert (gate.at_work, jobs.order) == (1, ["next"])
    go_on.set()
    await _settle()
    assert gate.at_work == 1  # "next" still holds the one place
    jobs.start("after")
    await _settle()
    assert jobs.order == ["next"]  # no place was freed for it
    answer.set()
    await _bounded(left[0])
    await jobs.end("next")
    await jobs.end("after")
    assert (gate.at_work, gate.waiting) == (0, 0)


async def test_a_job_cancelled_as_it_is_let_in_passes_its_place_on() -> None:
    jobs = Jobs(RunGate(1))
    async with jobs.gate.place(lambda: 0):
        jobs.start("cancelled", 5)
        jobs.start("next", 1)
        await _settle()
    jobs.tasks["cancelled"].cancel()  # let in as the place above ended, before it ran
    await _settle()
    assert jobs.order == ["next"]
    assert (jobs.gate.at_work, jobs.gate.waiting) == (1, 0)
    await jobs.end("next")
    assert (jobs.gate.at_work, jobs.gate.waiting) == (0, 0)
