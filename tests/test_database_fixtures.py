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


async def test_what_a_session_leaves_uncommitted_is_gone_when_its_connection_is_reused(
    session_factory: async_sessionmaker[AsyncSession], backend: str
) -> None:
    """The pool does not roll connections back on return (SQLite): the session's own close
    must, or the next user of the connection would inherit the open transaction."""
    async with session_factory() as session:
        session.add(Installation(name=f"Uncommitted on {backend}"))
        await session.flush()
        assert await session.scalar(select(func.count()).select_from(Installation)) == 1
    for _ in range(3):  # whichever pooled connection comes next
        async with session_factory() as session:
            count = await session.scalar(select(func.count()).select_from(Installation))
            assert count == 0
    async with session_factory.kw["bind"].connect() as connection:
        await connection.execute(
            Installation.__table__.insert().values(id=uuid.uuid4(), name="Raw")
        )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Installation)) == 0
