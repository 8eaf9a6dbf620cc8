"""A process's presence lock on PostgreSQL: held while its connection lives, gone when the
process lets it go or its engine is disposed, without leaving a connection checked out."""

from __future__ import annotations

import gc
import warnings

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.session_presence import Presence

pytestmark = pytest.mark.postgres

LOCK_CLASS = 0x7566_7374  # a class of this test's own
NAME = "process-under-test"


async def _held(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = CAST(:lock_class AS oid) AND objid = CAST(hashtext(:name) AS oid)"
            ),
            {"lock_class": LOCK_CLASS, "name": NAME},
        )
    return int(count or 0)


async def test_the_lock_is_held_until_closed(postgres_schema_url: str) -> None:
    engine, observer = create_engine(postgres_schema_url), create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME)
    try:
        async with presence.lock:
            await presence.connection()
            await presence.connection()  # the same connection: one lock
        assert await _held(observer) == 1
        await presence.close()
        assert await _held(observer) == 0
    finally:
        await engine.dispose()
        await observer.dispose()


async def test_disposing_the_engine_ends_the_presence_without_a_leaked_connection(
    postgres_schema_url: str,
) -> None:
    engine, observer = create_engine(postgres_schema_url), create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME)
    try:
        async with presence.lock:
            await presence.connection()
        assert await _held(observer) == 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await engine.dispose()  # nobody closed the presence
            gc.collect()  # a connection left checked out would be reported as it is collected
        assert await _held(observer) == 0
        assert [str(warning.message) for warning in caught] == []
    finally:
        await observer.dispose()
