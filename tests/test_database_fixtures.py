"""The database fixtures give an empty schema on every backend."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus


async def test_installation_round_trip(
    session_factory: async_sessionmaker[AsyncSession], backend: str
) -> None:
    async with session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Installation))
        assert count == 0
        installation = Installation(name=f"Acme on {backend}")
        session.add(installation)
        await session.commit()
        installation_id = installation.id

    async with session_factory() as session:
        loaded = await session.get(Installation, installation_id)
        assert loaded is not None
        assert isinstance(loaded.id, uuid.UUID)
        assert loaded.status == InstallationStatus.PENDING_LOGIN
        assert loaded.created_at.tzinfo is not None
        assert loaded.version == 1
