"""The Upsales catch-up's checkpoints, and where a run without one starts.

Checkpoints live in ``reconcile_checkpoints`` beside the Fortnox topics'
(:mod:`upsales_fortnox.sync.repository.reconcile_checkpoints`), under the topics
:data:`ORDERS_TOPIC` and :data:`ACCOUNTS_TOPIC`; ``checked_until`` is the start (our clock) of
the last run that listed that topic to the end.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.domain.catchup import utc
from upsales_fortnox.sync.repository import reconcile_checkpoints
from upsales_fortnox.sync.repository.sync_job_reads import first_initial_sync_at

ORDERS_TOPIC: Final = "upsales:orders"
ACCOUNTS_TOPIC: Final = "upsales:accounts"
TOPICS: Final = (ORDERS_TOPIC, ACCOUNTS_TOPIC)
FALLBACK_LOOKBACK: Final = timedelta(days=1)
"""How far back the first run of an installation without a checkpoint (activated before
checkpoints were seeded at activation) may reach to its initial sync."""


async def load_checkpoints(
    session_factory: DbSessionFactory, installation_id: uuid.UUID
) -> dict[str, datetime]:
    return await reconcile_checkpoints.load_checkpoints(session_factory, installation_id, TOPICS)


async def seed_checkpoints(session: DbSession, installation_id: uuid.UUID, at: datetime) -> None:
    """Start the catch-up of an installation at ``at`` (its activation), unless it has a
    checkpoint already (a second login keeps it). In the caller's transaction."""
    await reconcile_checkpoints.seed_checkpoints(session, installation_id, TOPICS, at)


async def first_run_start(
    session_factory: DbSessionFactory, installation_id: uuid.UUID, now: datetime
) -> datetime:
    """Where an installation without a checkpoint starts: its first initial sync, but no
    further back than :data:`FALLBACK_LOOKBACK`; without one, now."""
    async with session_factory() as session:
        started = await first_initial_sync_at(session, installation_id)
    if started is None:
        return now
    return min(now, max(utc(started), now - FALLBACK_LOOKBACK))
