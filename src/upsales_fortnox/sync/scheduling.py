"""Periodic jobs per installation: queue one job of a kind for every active installation, on
an interval, until stopped (the Fortnox reconciliation and the Upsales catch-up use it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.intake.repository.stream_offsets import active_installations
from upsales_fortnox.jobs import enqueue

log = logging.getLogger(__name__)


async def queue_for_active_installations(
    session_factory: DbSessionFactory, kind: str, entity_id: str
) -> int:
    """Queue a ``kind`` job for every active installation; how many were queued anew (a job
    already queued for the same entity absorbs the request)."""
    created = 0
    tenants = await active_installations(session_factory)
    async with session_factory() as session:
        for tenant in tenants:
            enqueued = await enqueue(
                session, installation_id=tenant.id, kind=kind, entity_id=entity_id
            )
            created += int(enqueued.created)
        await session.commit()
    return created


async def every_interval(
    stop: asyncio.Event, every: timedelta, action: Callable[[], Awaitable[object]], what: str
) -> None:
    """Run ``action`` now and every ``every`` until ``stop``; a failure is logged, never fatal
    (a database hiccup must not end the schedule)."""
    while not stop.is_set():
        try:
            await action()
        except Exception:
            log.exception("could not queue %s", what)
        try:
            await asyncio.wait_for(stop.wait(), every.total_seconds())
        except TimeoutError:
            continue
