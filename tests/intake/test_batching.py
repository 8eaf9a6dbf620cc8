"""Coalescing concurrent calls into batches: what goes together, limits, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from upsales_fortnox.intake.batching import Batcher


class Recorder:
    """A ``run_batch`` that records its batches and can be held open until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.running = 0
        self.most_running = 0
        self.release = asyncio.Event()
        self.release.set()
        self.started = asyncio.Event()

    async def __call__(self, items: list[str]) -> Sequence[str | Exception]:
        self.batches.append(items)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.started.set()
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


async def _until_started(recorder: Recorder, count: int) -> None:
    while len(recorder.batches) < count:
        recorder.started.clear()
        await recorder.started.wait()


async def test_a_lone_call_is_a_batch_of_one_at_once() -> None:
    recorder = Recorder()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=10)
    assert await batcher.submit("a") == "A"
    assert recorder.batches == [["a"]]


async def test_calls_arriving_while_a_batch_runs_form_the_next_batch() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=10)
    first = asyncio.create_task(batcher.submit("a"))
    await _until_started(recorder, 1)
    later = [asyncio.create_task(batcher.submit(item)) for item in "bcd"]
    await asyncio.sleep(0)
    assert recorder.batches == [["a"]] and batcher.waiting == 3
    recorder.release.set()
    assert [await task for task in (first, *later)] == ["A", "B", "C", "D"]
    assert recorder.batches == [["a"], ["b", "c", "d"]]


async def test_batches_are_bounded_by_weight_and_a_heavy_item_goes_alone() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=4, weight=len)
    tasks = [asyncio.create_task(batcher.submit(item)) for item in ("x", "aa", "bb", "c", "dddddd")]
    await _until_started(recorder, 1)
    recorder.release.set()
    await asyncio.gather(*tasks)
    assert recorder.batches == [["x"], ["aa", "bb"], ["c"], ["dddddd"]]


async def test_at_most_max_in_flight_batches_run_at_once() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=1, max_in_flight=2)
    tasks = [asyncio.create_task(batcher.submit(item)) for item in "abcde"]
    await _until_started(recorder, 2)
    assert recorder.running == 2 and batcher.waiting == 3
    recorder.release.set()
    assert await asyncio.gather(*tasks) == list("ABCDE")
    assert recorder.most_running == 2


async def test_an_item_that_fails_fails_only_its_caller() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=10)
    first = asyncio.create_task(batcher.submit("a"))
    await _until_started(recorder, 1)
    rest = [asyncio.create_task(batcher.submit(item)) for item in ("b", "bad", "c")]
    recorder.release.set()
    outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
    assert outcomes[:2] == ["A", "B"] and outcomes[3] == "C"
    assert isinstance(outcomes[2], ValueError)


async def test_a_batch_that_raises_fails_all_its_callers_and_the_next_batch_still_runs() -> None:
    calls: list[list[str]] = []

    async def explode_once(items: list[str]) -> list[str]:
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return items

    batcher: Batcher[str, str] = Batcher(explode_once, max_batch_weight=10)
    with pytest.raises(RuntimeError, match="database gone"):
        await batcher.submit("a")
    assert await batcher.submit("b") == "b"


async def test_a_wrong_number_of_outcomes_is_an_error_for_the_callers() -> None:
    async def short(items: list[str]) -> list[str]:
        return items[:-1]

    batcher: Batcher[str, str] = Batcher(short, max_batch_weight=10)
    with pytest.raises(RuntimeError, match="0 outcomes for a batch of 1"):
        await batcher.submit("a")


async def test_a_caller_that_gave_up_before_its_batch_started_is_dropped() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[str, str] = Batcher(recorder, max_batch_weight=10)
    first = asyncio.create_task(batcher.submit("a"))
    await _until_started(recorder, 1)
    gone = asyncio.create_task(batcher.submit("gone"))
    kept = asyncio.create_task(batcher.submit("kept"))
    await asyncio.sleep(0)
    gone.cancel()
    recorder.release.set()
    assert await first == "A" and await kept == "KEPT"
    assert gone.cancelled()
    assert recorder.batches == [["a"], ["kept"]]


def test_limits_must_be_positive() -> None:
    async def run(items: list[str]) -> list[str]:
        return items

    with pytest.raises(ValueError):
        Batcher(run, max_batch_weight=0)
    with pytest.raises(ValueError):
        Batcher(run, max_batch_weight=1, max_in_flight=0)
