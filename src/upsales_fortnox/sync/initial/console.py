"""The ``initial-sync`` and ``preview`` commands: start (or attach to) the initial sync and show
its progress with a bar per phase, optionally running the worker in this process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.clock import SERVICE_CLOCK
from upsales_fortnox.jobs import Worker
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.sync.initial.control import (
    InitialSyncRefused,
    followed_job,
    job_report,
    start_initial_sync,
)
from upsales_fortnox.sync.initial.preview import preview_initial_sync
from upsales_fortnox.sync.registry import build_handler_registry
from upsales_fortnox.vocabulary import JobStatus

_FINISHED = (JobStatus.DONE, JobStatus.DEAD)


async def follow_initial_sync(
    settings: Settings, installation_id: uuid.UUID, *, run_worker: bool, poll_seconds: float
) -> dict[str, Any]:
    """Start or attach; show progress until the job is done or dead; its final report."""
    services = build_services(settings)
    console = Console(stderr=True)
    stop = asyncio.Event()
    worker_task: asyncio.Task[None] | None = None
    try:
        # No background runs here to read the database's clock (:mod:`.core.db.clock`): the job
        # is queued, and the worker claims, on the database's time all the same.
        await SERVICE_CLOCK.align_for_command(services.engine)
        async with services.session_factory() as session:
            started = await start_initial_sync(session, installation_id, attach=True)
            await session.commit()
        verb = "started" if started.created else "attached to"
        console.print(f"{verb} initial sync job {started.job_id}")
        if run_worker:
            worker_task = asyncio.create_task(_run_worker(services, stop))
        with Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
        ) as bars:
            tasks: dict[str, TaskID] = {}
            while True:
                async with services.session_factory() as session:
                    job = await followed_job(session, started.job_id)
                    assert job is not None
                    report = job_report(job)
                for phase in report["phases"]:
                    name = phase["phase"]
                    if name not in tasks:
                        tasks[name] = bars.add_task(name, total=None, rate="")
                    rate = phase["rate_per_second"]
                    bars.update(
                        tasks[name],
                        completed=phase["done"],
                        total=phase["total"],
                        rate=f"{rate:.1f}/s" if rate else "",
                    )
                if report["status"] in _FINISHED:
                    return report
                await asyncio.sleep(poll_seconds)
    finally:
        stop.set()
        if worker_task is not None:
            with contextlib.suppress(Exception):
                await worker_task
        await services.aclose()


async def _run_worker(services: Services, stop: asyncio.Event) -> None:
    """A worker kept on the database's clock, as the background runs one."""
    worker = Worker(services.session_factory, build_handler_registry(services), services.settings)
    await asyncio.gather(worker.run(stop), SERVICE_CLOCK.keep_aligned(services.engine, stop))


async def run_preview(settings: Settings, installation_id: uuid.UUID) -> dict[str, Any]:
    services = build_services(settings)
    try:
        return await preview_initial_sync(services, installation_id)
    finally:
        await services.aclose()


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str)


__all__ = ["InitialSyncRefused", "dumps", "follow_initial_sync", "run_preview"]
