"""The ``reconcile_checkpoints`` table: until when each topic of an installation was checked,
by the Fortnox reconciliation (a topic per Fortnox register, and its sweeps) and by the Upsales
catch-up (its ``upsales:*`` topics), and how a checkpoint is named in the offsets of the events
a run feeds (:func:`window_marker`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Final, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.job import ReconcileCheckpoint

_CHECKPOINTS = cast(Table, ReconcileCheckpoint.__table__)

WINDOW_MARKER_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


def window_marker(since: datetime) -> str:
    """A window's start as the offsets of the events a run feeds name it: the checkpoint's exact
    instant in UTC. Distinct checkpoints never share a marker (the ``lastmodified`` value sent
    for a window has minute precision, and one minute for all of the autumn's first repeated
    hour); a rerun from the same checkpoint repeats it, so it records nothing twice."""
    return since.astimezone(UTC).strftime(WINDOW_MARKER_FORMAT)


async def load_checkpoints(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    topics: Collection[str] | None = None,
) -> dict[str, datetime]:
    """Topic → checked until, for the installation's topics (only ``topics``, when given)."""
    query = select(ReconcileCheckpoint.topic, ReconcileCheckpoint.checked_until).where(
        ReconcileCheckpoint.installation_id == installation_id
    )
    if topics is not None:
        query = query.where(ReconcileCheckpoint.topic.in_(topics))
    async with session_factory() as session:
        rows = await session.execute(query)
        return {row.topic: row.checked_until for row in rows}


async def save_checkpoint(
    session: AsyncSession, installation_id: uuid.UUID, topic: str, until: datetime
) -> None:
    """Move the topic's checkpoint to ``until`` (in the caller's transaction)."""
    row = await session.get(ReconcileCheckpoint, (installation_id, topic))
    if row is None:
        session.add(
            ReconcileCheckpoint(
                installation_id=installation_id, topic=topic, checked_until=until, updated_at=until
            )
        )
    else:
        row.checked_until = until
        row.updated_at = utcnow()


async def seed_checkpoints(
    session: AsyncSession, installation_id: uuid.UUID, topics: Collection[str], at: datetime
) -> None:
    """Start these topics at ``at``, each unless it has a checkpoint already (in the caller's
    transaction)."""
    connection = await session.connection()
    statement = (
        upsert_insert(connection.dialect.name, _CHECKPOINTS)
        .values(
            [
                {
                    "installation_id": installation_id,
                    "topic": topic,
                    "checked_until": at,
                    "updated_at": at,
                }
                for topic in topics
            ]
        )
        .on_conflict_do_nothing(index_elements=["installation_id", "topic"])
    )
    await connection.execute(statement)
