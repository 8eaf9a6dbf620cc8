"""The database fixtures give an empty schema on every backend."""

from __future__ import annotations

import uuid
from pathlib import Path

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


class _Driver:
    def __init__(self, in_transaction: bool) -> None:
        self.in_transaction = in_transaction


class _PooledConnection:
    def __init__(self, in_transaction: bool) -> None:
        self._connection = _Driver(in_transaction)
        self.rollbacks = 0

    def rollback(self) -> None:
        self.rollbacks += 1


def test_the_sqlite_pool_rolls_back_only_a_connection_left_in_a_transaction() -> None:
    from sqlalchemy.pool import PoolResetState

    from upsales_fortnox.core.db.engine import _end_open_transaction

    def reset(in_transaction: bool, *, terminate_only: bool = False) -> int:
        connection = _PooledConnection(in_transaction)
        state = PoolResetState(
            transaction_was_reset=False, terminate_only=terminate_only, asyncio_safe=True
        )
        _end_open_transaction(connection, None, state)
        return connection.rollbacks

    assert reset(True) == 1
    assert reset(False) == 0
    assert reset(True, terminate_only=True) == 0  # discarded, not pooled again


async def test_a_pooled_sqlite_connection_left_in_a_transaction_comes_back_clean(
    tmp_path: Path,
) -> None:
    from upsales_fortnox.core.db.engine import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'reset.sqlite3'}")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            await connection.commit()
            raw = await connection.get_raw_connection()
            # Behind SQLAlchemy's back: a write the closing Connection does not know about.
            cursor = raw.driver_connection
            assert cursor is not None
            await cursor.execute("INSERT INTO t VALUES (1)")
            assert cursor.in_transaction
        async with engine.connect() as connection:
            count = (await connection.exec_driver_sql("SELECT count(*) FROM t")).scalar()
        assert count == 0
    finally:
        await engine.dispose()
