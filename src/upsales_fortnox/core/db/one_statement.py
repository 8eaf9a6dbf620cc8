"""A connection for one statement that is a transaction of its own.

A single statement is atomic by itself: it sees one snapshot and its writes commit together.
Wrapped in a transaction on PostgreSQL it costs three round trips (``BEGIN``, the statement,
``COMMIT`` or ``ROLLBACK``); run in autocommit it costs one, and its writes are committed when
its answer comes, as after the ``COMMIT``. On SQLite the driver sends no ``BEGIN`` before a
read, and commits a write in the statement's own call into SQLite, so the file's write lock
is let go as the statement answers (:mod:`.sqlite_driver`).

Only for exactly one statement: a second one on the same connection would be a transaction of
its own on PostgreSQL, not part of the first's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from upsales_fortnox.core.db.sqlite_driver import OneTripConnection


@asynccontextmanager
async def one_statement(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection to run one statement on, committed once it has run (see the module)."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            # Client-side on asyncpg: no round trip; the pool sets it back on check-in.
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")
    else:
        async with engine.begin() as connection:
            driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
            if not isinstance(driver, OneTripConnection):
                yield connection
                return
            driver.commit_each_statement = True
            try:
                yield connection
            finally:
                driver.commit_each_statement = False


async def in_one_statement(session: AsyncSession) -> None:
    """Called first in a session that runs one statement: on PostgreSQL it runs in autocommit
    (see the module); elsewhere the session's transaction is as usual."""
    engine = session.bind
    if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
