"""How many jobs a worker has at work at once, and which job goes first when places are short.

A worker serves many installations, each with a few jobs side by side (:mod:`.turn`). Let all
of them work at once and every job waits for the event loop and the database connections
behind all the others: each takes many times its own time, the process spends its CPU on
switching between them, and a busy installation, whose last deal the rate budget decides,
moves at everyone's pace. So at most ``limit`` jobs are at work at once (started, run, and
their outcomes saved). A free place goes to the waiting job whose installation has the most
work waiting (longest queue first: an installation with a long queue needs its rate budget's
every window, one with a job or two can wait a moment without ending later), among equals to
the one that came first, and to any job that has waited ``patience_seconds``, by arrival,
before all of those: no installation waits long behind busier ones.

A job waiting on the outside world (an API's answer, a place in a rate budget:
:func:`~upsales_fortnox.integrations.step_aside.waiting_outside`) steps aside: its place goes to the
next job meanwhile, and it comes back as soon as the wait is over, past the limit if need be.
It never queues for a place again, so a job that holds what others wait for (a lock, an
entity) always comes back to let go of it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from upsales_fortnox.integrations.step_aside import stepping_aside_with

DEFAULT_PATIENCE_SECONDS = 10.0
"""How long a job waits for a place before it goes ahead of busier installations' jobs."""


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]
    """(minus its installation's backlog, arrival number): the heap's order."""
    arrived: float = field(compare=False)
    let_in: asyncio.Future[None] = field(compare=False)


@dataclass
class _Holder:
    """One place's holder: ``at_work`` False while it steps aside and once its block has ended;
    ``gone`` then (a task it started that is still aside, or at work, takes no place)."""

    at_work: bool = True
    gone: bool = False


class RunGate:
    """The places for a worker's jobs at work (:meth:`place`)."""

    def __init__(
        self,
        limit: int,
        *,
        patience_seconds: float = DEFAULT_PATIENCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = max(1, limit)
        self._patience = patience_seconds
        self._clock = clock
        self._at_work = 0
        self._by_rank: list[_Waiter] = []
        self._by_arrival: deque[_Waiter] = deque()
        self._arrivals = itertools.count()
        self._waiting = 0

    @property
    def at_work(self) -> int:
        """Jobs holding a place now (more than ``limit`` while some came back from aside)."""
        return self._at_work

    @property
    def waiting(self) -> int:
        return self._waiting

    @asynccontextmanager
    async def place(self, backlog: Callable[[], int]) -> AsyncIterator[None]:
        """Run the block in a place, once one is free in turn (``backlog()``: how many jobs its
        installation has waiting); within it, a wait on the outside world steps aside."""
        await self._enter(backlog())
        holder = _Holder()
        try:
            with stepping_aside_with(lambda: self._aside(holder)):
                yield
        finally:
            holder.gone = True
            if holder.at_work:
                holder.at_work = False  # a task it left running holds no place either
                self._leave()

    @asynccontextmanager
    async def _aside(self, holder: _Holder) -> AsyncIterator[None]:
        if not holder.at_work:  # a wait within a wait, or a second task of the same job
            yield
            return
        holder.at_work = False
        self._leave()
        try:
            yield
        finally:
            if not holder.gone:
                holder.at_work = True
                self._at_work += 1  # back at once: it never queues again

    async def _enter(self, backlog: int) -> None:
        if self._at_work < self.limit and not self._waiting:
            self._at_work += 1
            return
        waiter = _Waiter(
            (-backlog, next(self._arrivals)),
            self._clock(),
            asyncio.get_running_loop().create_future(),
        )
        heapq.heappush(self._by_rank, waiter)
        self._by_arrival.append(waiter)
        self._waiting += 1
        try:
            await waiter.let_in
        except BaseException:
            if waiter.let_in.done() and not waiter.let_in.cancelled():
                self._leave()  # let in as it was cancelled: the place goes on
            else:
                self._waiting -= 1
                waiter.let_in.cancel()  # passed over from now on
            raise

    def _leave(self) -> None:
        self._at_work -= 1
        while self._at_work < self.limit:
            waiter = self._next_waiter()
            if waiter is None:
                return
            waiter.let_in.set_result(None)
            self._waiting -= 1
            self._at_work += 1

    def _next_waiter(self) -> _Waiter | None:
        """The longest-waiting job once it has waited ``patience_seconds``, else the one with
        the longest queue; waiters let in or cancelled are dropped on the way."""
        if not self._waiting:
            self._by_rank.clear()
            self._by_arrival.clear()
            return None
        while self._by_arrival[0].let_in.done():
            self._by_arrival.popleft()
        oldest = self._by_arrival[0]
        if self._clock() - oldest.arrived >= self._patience:
            return self._by_arrival.popleft()
        while self._by_rank[0].let_in.done():
            heapq.heappop(self._by_rank)
        return heapq.heappop(self._by_rank)
