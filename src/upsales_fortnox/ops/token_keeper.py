"""Keeping idle Fortnox logins alive: refresh a refresh token long before its 45 days end.

A refresh token is single use and dies unused after 45 days, so an installation that synced
nothing for that long would lose its connection silently. Every ``TOKEN_KEEPER_INTERVAL`` the
keeper refreshes the user logins not refreshed for ``KEEP_ALIVE_AFTER`` through the token
store (single-flight, as any refresh). A refusal moves the installation to ``needs_relogin``
at once (the token store does that; its jobs wait) and the alert monitor announces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Final, TypeVar

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.repository.installation_rows import installations_with_status
from upsales_fortnox.installations.repository.tokens import (
    refreshed_at,
    user_logins_refreshed_before,
)
from upsales_fortnox.integrations.errors import ReauthorizationRequired, SyncError
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.connection_checks import check_connections
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus

logger = logging.getLogger(__name__)
T = TypeVar("T")

KEEP_ALIVE_AFTER: Final = timedelta(days=7)
LOGINS_KEPT_ALIVE: Final = (InstallationStatus.ACTIVE, InstallationStatus.PAUSED)
"""The installations whose logins the keeper keeps alive (a paused one is to sync again), and
whose refresh token nearing its end is alerted."""
TOKEN_KEEPER_INTERVAL_SECONDS: Final = 3600.0
CHECKS_AT_ONCE: Final = 8
"""Installations whose logins are kept alive, or connections checked, at the same time."""


async def stale_logins(services: Services, now: datetime) -> list[uuid.UUID]:
    async with services.session_factory() as session:
        return await user_logins_refreshed_before(
            session,
            now - KEEP_ALIVE_AFTER,
            LOGINS_KEPT_ALIVE,
        )


async def keep_tokens_alive(services: Services, now: datetime | None = None) -> dict[str, int]:
    """Refresh every stale user login once, up to :data:`CHECKS_AT_ONCE` at a time (a refresh
    Fortnox does not answer holds up no other installation's); returns how many were refreshed
    and refused."""
    counts = {"refreshed": 0, "refused": 0, "failed": 0}

    async def keep(installation_id: uuid.UUID) -> None:
        counts[await _keep_alive(services, installation_id, now)] += 1

    await _each_at_once(keep, await stale_logins(services, now or utcnow()))
    return counts


async def _each_at_once(work: Callable[[T], Awaitable[None]], items: Iterable[T]) -> None:
    """``work`` on every item, up to :data:`CHECKS_AT_ONCE` at a time."""
    places = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def one(item: T) -> None:
        async with places:
            await work(item)

    await asyncio.gather(*(one(item) for item in items))


async def _keep_alive(services: Services, installation_id: uuid.UUID, now: datetime | None) -> str:
    """Refresh one stale login: ``refreshed``, ``refused`` or ``failed``."""
    extra = {"installation_id": str(installation_id)}
    store = services.token_store
    try:
        current = await store.access_token(installation_id)  # refreshes an expired one
        if await _refreshed_since(services, installation_id, now or utcnow()):
            return "refreshed"
        await store.refresh_after_rejection(installation_id, current)  # forces a rotation
        return "refreshed"
    except ReauthorizationRequired:
        logger.warning("idle Fortnox login refused; it needs a new login", extra=extra)
        return "refused"
    except SyncError as error:  # expected (Fortnox away, say): one line, the next round tries
        logger.warning(
            "keeping the Fortnox login alive failed; tried again at the next round: %s",
            error,
            extra={**extra, "code": error.code},
        )
        return "failed"
    except Exception:
        logger.exception("keeping the Fortnox login alive failed", extra=extra)
        return "failed"


async def _refreshed_since(services: Services, installation_id: uuid.UUID, now: datetime) -> bool:
    async with services.session_factory() as session:
        refreshed = await refreshed_at(session, installation_id)
    return refreshed is not None and refreshed >= now - KEEP_ALIVE_AFTER


async def check_active_installations(services: Services) -> int:
    """Check the connections of every active installation (for their health), up to
    :data:`CHECKS_AT_ONCE` at a time: one whose Fortnox or Upsales does not answer holds up no
    other's check for its timeouts."""
    async with services.session_factory() as session:
        installations = await installations_with_status(session, InstallationStatus.ACTIVE)

    async def check(installation: Installation) -> None:
        try:
            await check_connections(services, installation)
        except Exception:  # one installation's failure leaves the others' checks
            logger.exception(
                "checking the connections failed",
                extra={"installation_id": str(installation.id)},
            )

    await _each_at_once(check, installations)
    return len(installations)


async def run_token_keeper(services: Services, stop: asyncio.Event) -> None:
    """Hourly: keep idle logins alive, then check every active installation's connections."""
    while not stop.is_set():
        try:
            counts = await keep_tokens_alive(services)
            if any(counts.values()):
                logger.info("idle Fortnox logins kept alive: %s", counts)
            await check_active_installations(services)
        except Exception:
            logger.exception("the Fortnox token keeper failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TOKEN_KEEPER_INTERVAL_SECONDS)
