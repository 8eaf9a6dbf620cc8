"""What the Fortnox stream consumer keeps in the database: the topics' offsets
(``stream_offsets``), and the installations it follows (read from ``installations``)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import StreamOffset
from upsales_fortnox.vocabulary import InstallationStatus


async def active_installations(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[StreamTenant]:
    """Active installations that have Fortnox tokens."""
    async with session_factory() as session:
        rows = await session.execute(
            select(Installation.id, Installation.fortnox_tenant_id)
            .join(FortnoxCredentials, FortnoxCredentials.installation_id == Installation.id)
            .where(Installation.status == InstallationStatus.ACTIVE)
            .order_by(Installation.created_at)
        )
        return [StreamTenant(row.id, row.fortnox_tenant_id) for row in rows]


async def load_offsets(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.scalars(select(StreamOffset))
        return {row.topic: row.offset for row in rows}


async def save_offsets(session: AsyncSession, offsets: Mapping[str, str]) -> None:
    """Store the topics' offsets in the caller's transaction."""
    for topic, offset in sorted(offsets.items()):
        row = await session.get(StreamOffset, topic)
        if row is None:
            session.add(StreamOffset(topic=topic, offset=offset, updated_at=utcnow()))
        else:
            row.offset = offset
            row.updated_at = utcnow()
