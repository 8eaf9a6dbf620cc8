"""A database the service can reach but whose schema was never made (``upsales-fortnox
migrate`` not run: the container's command does not migrate) is not ready: ``/readyz`` said
ok, so a load balancer sent it traffic, and every request answered 503 "retry later" for
ever. Both now name the cause, ``database_not_migrated``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from tests.database import POSTGRES_ENABLED, scratch_postgres_database
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db import migrate
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services

POSTGRES_ONLY = pytest.mark.skipif(not POSTGRES_ENABLED, reason="TEST_POSTGRES=off")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=POSTGRES_ONLY)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with scratch_postgres_database("ufs_unmigrated") as url:
        yield url


@pytest.fixture
async def unmigrated(empty_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _served(empty_database):
        yield client


async def _served(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url)
    services = build_services(settings)
    app = create_app(services=services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield client
    finally:
        await services.aclose()


async def test_readyz_says_the_schema_is_missing(unmigrated: httpx.AsyncClient) -> None:
    for method in ("GET", "HEAD"):
        response = await unmigrated.request(method, "/readyz")
        assert response.status_code == 503, response.text
    body = (await unmigrated.get("/readyz")).json()
    assert body["error"]["code"] == "database_not_migrated"
    assert "upsales-fortnox migrate" in body["error"]["message"]


async def test_a_request_names_the_missing_schema(unmigrated: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {Settings().admin_token.get_secret_value()}"}
    response = await unmigrated.get("/api/installations", headers=headers)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_not_migrated"


async def test_a_migrated_database_is_ready(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/readyz")).json() == {"status": "ok"}


async def test_a_schema_behind_this_version_is_not_ready_until_migrated(
    empty_database: str,
) -> None:
    """A new version deployed without its ``migrate`` one-shot: the tables are there, but not
    the newest migration's, so requests would fail on them; ``/readyz`` said ok."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config(empty_database))
    previous = scripts.get_revision(scripts.get_current_head()).down_revision
    assert isinstance(previous, str)
    await asyncio.to_thread(migrate.upgrade, empty_database, previous)
    async for client in _served(empty_database):
        for method in ("GET", "HEAD"):
            response = await client.request(method, "/readyz")
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"]
        body = (await client.get("/readyz")).json()
        assert body["error"]["code"] == "database_not_migrated"
        assert "upsales-fortnox migrate" in body["error"]["message"]
        assert previous in body["error"]["message"]
        await asyncio.to_thread(migrate.upgrade, empty_database)
        assert (await client.get("/readyz")).json() == {"status": "ok"}
