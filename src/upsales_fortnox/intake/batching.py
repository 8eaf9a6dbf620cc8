"""Concurrent calls coalesced into batches: each batch is whatever arrived while the previous
one ran. No timer: a call that finds the batcher idle starts a batch of one at once, so a lone
request waits for nothing, and under load the batches grow by themselves.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

#: Runs one batch; returns one outcome per item, in order: its result, or the exception that
#: item's caller gets. Raising gives every caller of the batch that exception.
RunBatch = Callable[[list[ItemT]], Awaitable[Sequence[ResultT | Exception]]]


class Batcher(Generic[ItemT, ResultT]):
    """Hands concurrent :meth:`submit` calls to ``run_batch`` in batches, first come first served.

    At most ``max_in_flight`` batches run at once; a batch holds items of total ``weight`` up to
    ``max_batch_weight`` (a heavier item goes alone). A caller that stops waiting (cancelled)
    is dropped if its batch has not started, and otherwise ignored when the batch ends.
    """

    def __init__(
        self,
        run_batch: RunBatch[ItemT, ResultT],
        *,
        max_batch_weight: int,
        max_in_flight: int = 1,
        weight: Callable[[ItemT], int] = lambda _: 1,
    ) -> None:
        if max_batch_weight < 1 or max_in_flight < 1:
            raise ValueError("max_batch_weight and max_in_flight must be at least 1")
        self._run_batch = run_batch
        self._max_batch_weight = max_batch_weight
        self._max_in_flight = max_in_flight
        self._weight = weight
        self._waiting: deque[tuple[ItemT, asyncio.Future[ResultT]]] = deque()
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, item: ItemT) -> ResultT:
        """``item``'s result, once the batch that holds it has run."""
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._start_batches()
        return await future

    @property
    def waiting(self) -> int:
        """Items not yet handed to a batch."""
        return len(self._waiting)

    def _start_batches(self) -> None:
        while self._waiting and len(self._running) < self._max_in_flight:
            batch = self._take_batch()
            if not batch:
                continue
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _take_batch(self) -> list[tuple[ItemT, asyncio.Future[ResultT]]]:
        batch: list[tuple[ItemT, asyncio.Future[ResultT]]] = []
        total = 0
        while self._waiting:
            item, future = self._waiting[0]
            weight = self._weight(item)
            if batch and total + weight > self._max_batch_weight:
                break
            self._waiting.popleft()
            if future.done():  # the caller stopped waiting before its batch started
                continue
            batch.append((item, future))
            total += weight
        return batch

    async def _run(self, batch: list[tuple[ItemT, asyncio.Future[ResultT]]]) -> None:
        futures = [future for _, future in batch]
        try:
            outcomes = await self._run_batch([item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
        except Exception as exc:
            outcomes = [exc] * len(batch)
        except BaseException:  # cancelled: nobody will answer these callers
            for future in futures:
                if not future.done():
                    future.set_exception(RuntimeError("the batch was cancelled"))
            raise
        for future, outcome in zip(futures, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: the callers have it already
        self._start_batches()
