"""The pools keep the connections they open. PostgreSQL's: under a load above its size,
checkouts wait for a connection rather than open (and at their return close) one more each
time. SQLite's: a burst of a worker's lanes opens its connections once, not at every burst."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text

from tests.conftest import BACKENDS
from upsales_fortnox.core.db.engine import create_engine


async def test_sqlite_keeps_the_connections_a_burst_opened(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, record: opened.append(record))
    at_once = 12  # more than SQLAlchemy's default pool keeps (5), within what it allows (15)
    all_checked_out = asyncio.Barrier(at_once)

    async def statement() -> None:
        async with engine.connect() as connection:
            await all_checked_out.wait()
            await connection.execute(text("SELECT 1"))

    try:
        for _ in range(5):
            await asyncio.gather(*(statement() for _ in range(at_once)))
    finally:
        await engine.dispose()
    assert len(opened) == at_once


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
async def test_a_load_above_the_pool_size_opens_no_more_connections_than_the_pool_holds(
    postgres_schema_url: str,
) -> None:
    engine = create_engine(postgres_schema_url, pool_size=2)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, record: opened.append(record))
    in_use = 0
    most_in_use = 0

    async def statement() -> None:
        nonlocal in_use, most_in_use
        async with engine.connect() as connection:
            in_use += 1
            most_in_use = max(most_in_use, in_use)
            await connection.execute(text("SELECT pg_sleep(0.01)"))
            in_use -= 1

    try:
        for _ in range(5):
            await asyncio.gather(*(statement() for _ in range(6)))
    finally:
        await engine.dispose()
    assert most_in_use == 2
    assert len(opened) == 2
