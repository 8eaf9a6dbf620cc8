"""Fixtures shared by the whole suite.

``database_url`` is parametrised over SQLite and PostgreSQL, so every test that touches the
database runs on both. ``engine`` and ``session_factory`` build on it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.database import (
    POSTGRES_ENABLED,
    create_schema,
    scratch_postgres_database,
    truncate_all,
)
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.clock import SERVICE_CLOCK
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.integrations.api_transport import CookielessClient
from upsales_fortnox.main import create_app
from upsales_fortnox.services import HTTP_TIMEOUT, Services, build_services

# Every Fortnox exchange of every test is checked against Fortnox's OpenAPI spec.
pytest_plugins = ("tests.spec_guard.plugin",)

BACKENDS = ["sqlite", "postgresql"] if POSTGRES_ENABLED else ["sqlite"]

# CI replays the same generated examples every run (random locally, where new cases are found).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """One scratch PostgreSQL database with the models' schema, for the whole run."""
    import asyncio

    with scratch_postgres_database() as url:
        asyncio.run(create_schema(url))
        yield url


@pytest.fixture(autouse=True)
def _service_clock_on_the_host() -> Iterator[None]:
    """A test that runs the background aligns the process's clock with the database's: the
    next test starts on the host's clock again, whatever that reading was."""
    yield
    SERVICE_CLOCK.offset = timedelta(0)


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
async def pg_engine(postgres_schema_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on PostgreSQL alone, its tables emptied, for tests of what only it does."""
    engine = create_engine(postgres_schema_url)
    await truncate_all(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


ADMIN_TOKEN = "test-admin-token-0123456789"
SECRET_KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr(SECRET_KEY),
    )


@pytest.fixture
async def services(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Services]:
    """The process' services on httpx's own transport, which respx replaces in the tests that
    fake an API (the APIs' aiohttp transport is tested on its own against a loopback server,
    and in every test that runs the service as processes). The engine is the test's own, so
    only what the services hold beside it is closed (the shared budget's presence)."""
    http = CookielessClient(timeout=HTTP_TIMEOUT)
    services = build_services(settings, engine=engine, http=http)
    try:
        yield services
    finally:
        await services.fortnox_limiters.aclose()


@pytest.fixture
def app(services: Services) -> FastAPI:
    return create_app(services=services)


@pytest.fixture
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        yield client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
