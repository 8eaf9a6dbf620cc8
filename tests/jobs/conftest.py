"""Fixtures of the job tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.database import truncate_all
from upsales_fortnox.core.db.engine import create_engine, create_session_factory


@pytest.fixture
async def pg_sessions(postgres_schema_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the run's PostgreSQL database, emptied first (for tests of PostgreSQL only)."""
    engine = create_engine(postgres_schema_url)
    await truncate_all(engine)
    yield create_session_factory(engine)
    await engine.dispose()
