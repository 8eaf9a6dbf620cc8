"""Test databases: a fresh SQLite file per test, and one scratch PostgreSQL database per run.

PostgreSQL is required: when it cannot be reached the tests that need it fail (they never skip),
unless ``TEST_POSTGRES=off`` is set explicitly for a quick local run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import upsales_fortnox.models  # noqa: F401  (registers the tables)
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
POSTGRES_ENABLED = os.environ.get("TEST_POSTGRES", "on") != "off"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _admin_execute(statement: str) -> None:
    connection = await asyncpg.connect(_dsn(POSTGRES_ADMIN_URL), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_url_for(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


@contextmanager
def scratch_postgres_database(prefix: str = "ufs_test") -> Iterator[str]:
    """Create an empty PostgreSQL database for the duration of the block; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url_for(name)
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def create_schema(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


_ADVISORY_LOCK_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = CAST(:lock_class AS oid) AND objid = CAST(hashtext(:name) AS oid)"
    " AND objsubid = 2"
)


async def advisory_lock_holders(engine: AsyncEngine, lock_class: int, name: str) -> list[int]:
    """The sessions (backend pids) holding the two-key advisory lock ``(lock_class,
    hashtext(name))`` in the engine's database: a presence lock, for instance."""
    async with engine.connect() as connection:
        held = await connection.execute(
            _ADVISORY_LOCK_HOLDERS, {"lock_class": lock_class, "name": name}
        )
        return list(held.scalars())


async def until_a_session_waits_for_a_lock(engine: AsyncEngine) -> None:
    """Until some session of the engine's database waits for a lock (polled: the wait itself
    is in the database, out of the test's reach); fails after about 5 s."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("nobody waited for the lock")
