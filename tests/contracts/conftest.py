"""Fixtures of the contract tests: a SQLite database for the Fortnox token store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine, create_session_factory


@asynccontextmanager
async def sqlite_sessions(path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite:///{path}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sqlite_sessions(tmp_path / "contracts.sqlite3") as factory:
        yield factory
