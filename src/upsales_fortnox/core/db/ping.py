"""Whether the database answers at all (the readiness probe's question)."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine


async def ping(engine: AsyncEngine) -> None:
    """Open a connection and run ``SELECT 1``; raises whatever the database or driver raises."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def has_table(engine: AsyncEngine, name: str) -> bool:
    """Whether the database has the table ``name`` (its schema was made)."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: inspect(sync).has_table(name))
