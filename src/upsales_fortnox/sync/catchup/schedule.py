"""Queuing the Upsales catch-up: an ``upsales.reconcile`` job per active installation every
``settings.upsales_reconcile_interval_minutes`` (a queued one absorbs the next request), run by
the worker like any job, so one installation's catch-up and its hook jobs never run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.run import catch_up_installation
from upsales_fortnox.sync.results.periodic import CatchUpResult
from upsales_fortnox.sync.scheduling import every_interval, queue_for_active_installations
from upsales_fortnox.vocabulary import JobKind

log = logging.getLogger(__name__)

CATCH_UP_ENTITY: Final = "upsales"
"""``entity_id`` of catch-up jobs, so a request while one is queued coalesces into it."""


async def schedule_catch_up(session_factory: DbSessionFactory) -> int:
    """Queue a catch-up for every active installation; how many were queued anew."""
    return await queue_for_active_installations(
        session_factory, JobKind.UPSALES_CATCH_UP, CATCH_UP_ENTITY
    )


async def run_catch_up_scheduler(
    services: Services, stop: asyncio.Event, *, interval: timedelta | None = None
) -> None:
    """Queue the catch-up every ``settings.upsales_reconcile_interval_minutes`` until ``stop``."""
    every = interval or timedelta(minutes=services.settings.upsales_reconcile_interval_minutes)
    await every_interval(
        stop, every, lambda: schedule_catch_up(services.session_factory), "the Upsales catch-up"
    )


def register_catch_up_handler(
    registry: HandlerRegistry, services: Services, *, clock: Callable[[], datetime] = utcnow
) -> None:
    async def handler(ctx: JobContext) -> CatchUpResult:
        return await catch_up_installation(services, ctx.installation_id, job=ctx, clock=clock)

    registry.register(JobKind.UPSALES_CATCH_UP, handler)
