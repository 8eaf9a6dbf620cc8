"""The background parts of a process: the job worker, the Fortnox change stream and the
periodic reconciliation (Fortnox's, and the Upsales catch-up of changes no hook brought in).

One process serving everything (the embedded default, and ``serve``) runs all three. Scaled out,
every ``worker`` process runs the job worker; run the stream and the scheduler on ONE of them
(Fortnox asks for a single WebSocket connection for all tenants; extra ones would only cost
duplicates that the intake's dedupe then drops).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.clock import SERVICE_CLOCK
from upsales_fortnox.core.db.schema_wait import wait_for_schema
from upsales_fortnox.core.heap import prepare_heap_for_serving
from upsales_fortnox.jobs import Worker
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.alert_delivery import run_alert_monitor
from upsales_fortnox.ops.metrics import observe_job
from upsales_fortnox.ops.metrics_http import run_metrics_server
from upsales_fortnox.ops.token_keeper import run_token_keeper
from upsales_fortnox.services import Services, run_stream_consumer
from upsales_fortnox.sync.catchup.schedule import run_catch_up_scheduler
from upsales_fortnox.sync.reconcile import run_reconcile_scheduler
from upsales_fortnox.sync.registry import build_handler_registry

logger = logging.getLogger(__name__)

BackgroundTask = Callable[[Services, asyncio.Event], Coroutine[Any, Any, None]]


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """Run the job worker until ``stop`` is set (or the task is cancelled)."""
    worker = Worker(
        services.session_factory,
        build_handler_registry(services),
        services.settings,
        on_outcome=observe_job if services.settings.metrics_enabled else None,
    )
    logger.info("worker %s started", worker.worker_id)
    warn_if_settle_shorter_than_lease(services.settings)
    await worker.run(stop)


def warn_if_settle_shorter_than_lease(settings: Settings) -> None:
    """A won deal's create that a stalled worker sends late (its process paused while the
    request waited for a connection) is stopped by the lease check the transport makes right
    before writing, once the lease as that worker knows it has run out; the worker that took
    the installation over creates only ``FORTNOX_CREATE_SETTLE_SECONDS`` after its first search
    found nothing. A wait shorter than the lease leaves a stretch in which both may land."""
    settle = settings.fortnox_create_settle_seconds
    if settle < settings.job_lease_seconds:
        logger.warning(
            "create_settle_shorter_than_lease: FORTNOX_CREATE_SETTLE_SECONDS (%g) is shorter "
            "than JOB_LEASE_SECONDS (%g); a create a stalled worker sends late may land beside "
            "the one made after the wait: keep the wait at least the lease",
            settle,
            settings.job_lease_seconds,
            extra={"code": "create_settle_shorter_than_lease"},
        )


async def run_clock_alignment(services: Services, stop: asyncio.Event) -> None:
    """Keep the process's clock on the database's (:mod:`upsales_fortnox.core.db.clock`)."""
    await SERVICE_CLOCK.keep_aligned(services.engine, stop)


_WITHOUT_THE_SCHEMA: Final = frozenset({run_clock_alignment, run_metrics_server})
"""The tasks that start before the schema is migrated (they read none of its tables)."""


def background_tasks(
    *, worker: bool = True, stream: bool = True, metrics_port: bool = False
) -> list[BackgroundTask]:
    """``metrics_port``: serve ``/metrics`` on ``METRICS_PORT`` too. The process's clock is
    kept on the database's in every case."""
    tasks: list[BackgroundTask] = [run_clock_alignment]
    if metrics_port:
        tasks.append(run_metrics_server)
    if worker:
        tasks.append(run_worker)
    if stream:
        tasks.extend(
            [
                run_stream_consumer,
                run_reconcile_scheduler,
                run_catch_up_scheduler,
                run_alert_monitor,
                run_token_keeper,
            ]
        )
    return tasks


async def run_background(
    services: Services, stop: asyncio.Event, tasks: list[BackgroundTask]
) -> None:
    """Run the tasks until ``stop``; a task that fails stops the others too. The process's
    clock is set to the database's first (waiting for the database if need be), so that its
    first claim already compares leases on the database's time. Every task but the clock's
    and the metrics port's waits for a schema short of this version's migrations
    (:mod:`upsales_fortnox.core.db.schema_wait`). The process's heap is made ready for serving
    first (:func:`~upsales_fortnox.core.heap.prepare_heap_for_serving`): a worker process
    starts here."""
    prepare_heap_for_serving()
    await SERVICE_CLOCK.align_first(services.engine, stop)
    schema_ready = asyncio.create_task(
        wait_for_schema(services.engine, stop, Installation.__tablename__)
        if any(task not in _WITHOUT_THE_SCHEMA for task in tasks)
        else _nothing_waits()  # the API alone: no work to hold back, nothing to poll or log
    )
    running = [
        asyncio.create_task(
            task(services, stop)
            if task in _WITHOUT_THE_SCHEMA
            else _once_migrated(task, services, stop, schema_ready)
        )
        for task in tasks
    ]
    try:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
        for finished in done:
            finished.result()
    finally:
        stop.set()
        await asyncio.gather(*running, schema_ready, return_exceptions=True)


async def _nothing_waits() -> bool:
    return True


async def _once_migrated(
    task: BackgroundTask, services: Services, stop: asyncio.Event, schema_ready: asyncio.Task[bool]
) -> None:
    if await asyncio.shield(schema_ready):
        await task(services, stop)
