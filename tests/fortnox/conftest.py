"""Shared fixtures of the Fortnox tests: clocks, databases, OAuth, a token endpoint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import respx
from fortnox_testkit import (
    AUTH_BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    PG_ADMIN_DSN,
    SECRET_KEY,
    Clock,
    SteppingClock,
    TokenEndpoint,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth


@pytest.fixture
def stepping_clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox(SECRET_KEY)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def token_endpoint(router: respx.MockRouter) -> TokenEndpoint:
    return TokenEndpoint(router)


@pytest.fixture
def oauth(wall_clock: Clock) -> FortnoxOAuth:
    return FortnoxOAuth(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, auth_base_url=AUTH_BASE, clock=wall_clock
    )


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'fortnox.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(sqlite_engine)


@pytest.fixture
def wall_clock() -> Clock:
    return Clock()


@pytest.fixture
def make_store(
    secret_box: SecretBox, oauth: FortnoxOAuth, wall_clock: Clock
) -> Callable[[async_sessionmaker[AsyncSession]], DbTokenStore]:
    def make(sessions: async_sessionmaker[AsyncSession]) -> DbTokenStore:
        return DbTokenStore(sessions, secret_box, oauth, clock=wall_clock)

    return make


@pytest.fixture
async def pg_database_url() -> AsyncIterator[str]:
    """A scratch PostgreSQL database with the schema, dropped afterwards. Fails if PG is down."""
    name = f"fortnox_client_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
