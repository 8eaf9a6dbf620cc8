"""The background parts of a process: the job worker (and, where wired, the event feeds)."""

from __future__ import annotations

import asyncio
import logging

from upsales_fortnox.jobs import Worker
from upsales_fortnox.services import Services
from upsales_fortnox.sync.registry import build_handler_registry

logger = logging.getLogger(__name__)


async def run_worker(services: Services, stop: asyncio.Event | None = None) -> None:
    """Run the job worker until ``stop`` is set (or the task is cancelled)."""
    worker = Worker(services.session_factory, build_handler_registry(services), services.settings)
    logger.info("worker %s started", worker.worker_id)
    await worker.run(stop or asyncio.Event())
