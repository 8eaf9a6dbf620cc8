"""Fixtures shared by the whole suite.

``database_url`` is parametrised over SQLite and PostgreSQL, so every test that touches the
database runs on both. ``engine`` and ``session_factory`` build on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.database import (
    POSTGRES_ENABLED,
    create_schema,
    scratch_postgres_database,
    truncate_all,
)
from upsales_fortnox.db.engine import create_engine, create_session_factory

BACKENDS = ["sqlite", "postgresql"] if POSTGRES_ENABLED else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """One scratch PostgreSQL database with the models' schema, for the whole run."""
    import asyncio

    with scratch_postgres_database() as url:
        asyncio.run(create_schema(url))
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if database_url.startswith("sqlite"):
        await create_schema(database_url)
    else:
        await truncate_all(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
