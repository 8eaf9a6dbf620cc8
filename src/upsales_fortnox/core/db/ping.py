"""Whether the database answers at all, and which migrations its schema is at (the readiness
probe's questions)."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


async def ping(engine: AsyncEngine) -> None:
    """Open a connection and run ``SELECT 1``; raises whatever the database or driver raises."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


#: Where Alembic records the revision a database's schema is at.
_REVISION_TABLE = "alembic_version"


async def schema_revisions(engine: AsyncEngine, table: str) -> list[str] | None:
    """The migrations the database's schema is at; None when it has no table ``table`` (the
    service's schema was never made there)."""

    def read(sync: Connection) -> list[str] | None:
        tables = inspect(sync)
        if not tables.has_table(table):
            return None
        if not tables.has_table(_REVISION_TABLE):
            return []
        rows = sync.execute(text(f"SELECT version_num FROM {_REVISION_TABLE}"))  # noqa: S608
        return [str(revision) for revision in rows.scalars()]

    async with engine.connect() as connection:
        return await connection.run_sync(read)
