"""A connection pool taken up by slow queries: the webhook intake does not wait for a connection
longer than ``WEBHOOK_DATABASE_WAIT_SECONDS``; it answers 503 ``database_unavailable`` with
``Retry-After`` and stores nothing, and takes hooks again once a connection is free."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ADMIN_TOKEN, BACKENDS
from tests.database import truncate_all
from tests.intake.support import count_rows, create_installation, order_hook
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off"),
]


@pytest.fixture
async def small_pool(postgres_schema_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_schema_url, pool_size=1)  # one connection
    await truncate_all(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _slow_query(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_sleep(60)"))


async def test_an_exhausted_pool_is_503_and_stores_nothing(
    small_pool: AsyncEngine, postgres_schema_url: str
) -> None:
    settings = Settings(
        database_url=postgres_schema_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
        webhook_database_wait_seconds=0.5,
    )
    services = build_services(settings, engine=small_pool)
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/upsales/{installation.id}"
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        slow = [asyncio.create_task(_slow_query(small_pool)) for _ in range(2)]
        for _ in range(10_000):
            if small_pool.pool.checkedout() == 2:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.001)
        try:
            refused = await client.post(url, json=order_hook(7))
            not_ready = await client.get("/readyz")
        finally:
            for task in slow:
                task.cancel()
            await asyncio.gather(*slow, return_exceptions=True)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "database_unavailable"
        assert int(refused.headers["Retry-After"]) > 0
        assert await count_rows(services.session_factory) == (0, 0)
        assert not_ready.status_code == 503 and not_ready.headers["Retry-After"]
        assert (await client.get("/readyz")).status_code == 200
        taken = await client.post(url, json=order_hook(7))
        assert taken.status_code == 202, taken.text
        assert await count_rows(services.session_factory) == (1, 1)
