"""Queuing the Upsales catch-up: an ``upsales.reconcile`` job per active installation every
``settings.upsales_reconcile_interval_minutes`` (a queued one absorbs the next request), run by
the worker like any job, so one installation's catch-up and its hook jobs never run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.types import utcnow
from upsales_fortnox.fortnox.stream import active_installations
from upsales_fortnox.jobs.handlers import HandlerRegistry, JobContext
from upsales_fortnox.jobs.queue import enqueue
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.run import catch_up_installation

log = logging.getLogger(__name__)

CATCH_UP_KIND: Final = "upsales.reconcile"
CATCH_UP_ENTITY: Final = "upsales"
"""``entity_id`` of catch-up jobs, so a request while one is queued coalesces into it."""


async def schedule_catch_up(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Queue a catch-up for every active installation; how many were queued anew."""
    created = 0
    tenants = await active_installations(session_factory)
    async with session_factory() as session:
        for tenant in tenants:
            enqueued = await enqueue(
                session, installation_id=tenant.id, kind=CATCH_UP_KIND, entity_id=CATCH_UP_ENTITY
            )
            created += int(enqueued.created)
        await session.commit()
    return created


async def run_catch_up_scheduler(
    services: Services, stop: asyncio.Event, *, interval: timedelta | None = None
) -> None:
    """Queue the catch-up every ``settings.upsales_reconcile_interval_minutes`` until ``stop``."""
    every = interval or timedelta(minutes=services.settings.upsales_reconcile_interval_minutes)
    while not stop.is_set():
        try:
            await schedule_catch_up(services.session_factory)
        except Exception:  # a database hiccup must not end the scheduler
            log.exception("could not queue the Upsales catch-up")
        try:
            await asyncio.wait_for(stop.wait(), every.total_seconds())
        except TimeoutError:
            continue


def register_catch_up_handler(
    registry: HandlerRegistry, services: Services, *, clock: Callable[[], datetime] = utcnow
) -> None:
    async def handler(ctx: JobContext) -> dict[str, Any]:
        return await catch_up_installation(services, ctx.installation_id, job=ctx, clock=clock)

    registry.register(CATCH_UP_KIND, handler)
