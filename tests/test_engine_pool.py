"""The PostgreSQL pool keeps the connections it opens: under a load above its size, checkouts
wait for a connection rather than open (and at their return close) one more each time."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from tests.conftest import BACKENDS
from upsales_fortnox.core.db.engine import create_engine

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off"),
]


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
