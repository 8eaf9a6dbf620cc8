"""Background tasks run together and stop together."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.background import (
    background_tasks,
    run_background,
    run_clock_alignment,
    run_worker,
)
from upsales_fortnox.ops.alert_delivery import run_alert_monitor
from upsales_fortnox.ops.metrics_http import run_metrics_server
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.schedule import run_catch_up_scheduler


def _services(engine: AsyncEngine) -> Services:
    """All :func:`run_background` itself reads of the services: their engine."""
    return SimpleNamespace(engine=engine)  # type: ignore[return-value]


async def test_a_failing_task_stops_the_others_and_is_raised(engine: AsyncEngine) -> None:
    stopped = asyncio.Event()

    async def waits(_: Services, stop: asyncio.Event) -> None:
        await stop.wait()
        stopped.set()

    async def fails(_: Services, stop: asyncio.Event) -> None:
        raise RuntimeError("boom")

    stop = asyncio.Event()
    with pytest.raises(RuntimeError, match="boom"):
        await run_background(_services(engine), stop, [waits, fails])
    assert stop.is_set() and stopped.is_set()


async def test_setting_stop_ends_every_task(engine: AsyncEngine) -> None:
    finished: list[str] = []

    def task(name: str):  # type: ignore[no-untyped-def]
        async def run(_: Services, stop: asyncio.Event) -> None:
            await stop.wait()
            finished.append(name)

        return run

    stop = asyncio.Event()
    runner = asyncio.create_task(run_background(_services(engine), stop, [task("a"), task("b")]))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    stop.set()
    await runner
    assert sorted(finished) == ["a", "b"]


def test_the_task_sets() -> None:
    assert background_tasks(worker=True, stream=False) == [run_clock_alignment, run_worker]
    assert background_tasks(worker=False, stream=False) == [run_clock_alignment]
    assert len(background_tasks()) == 7
    assert run_alert_monitor in background_tasks(worker=False)  # with the stream
    assert run_metrics_server in background_tasks(metrics_port=True)
    assert run_metrics_server not in background_tasks()
    assert run_catch_up_scheduler in background_tasks(worker=False)  # with the stream
    assert run_catch_up_scheduler not in background_tasks(stream=False)
    assert run_worker not in background_tasks(worker=False)
