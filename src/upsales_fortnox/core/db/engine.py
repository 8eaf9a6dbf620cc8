"""Async engine and session factory for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState, QueuePool

from upsales_fortnox.core.db import sqlite_driver
from upsales_fortnox.core.db.database_file import sqlite_path

SQLITE_BUSY_TIMEOUT_MS = 30_000

SQLITE_KEPT_CONNECTIONS = 64
"""SQLite connections the pool keeps once opened; as many again may open in a burst, and close
as they come back. Opening one costs the file, four PRAGMAs and about 0.5 ms of CPU. With the
pool's default of 5 kept, a worker's lanes (up to ``worker_concurrency`` times
``worker_jobs_per_installation`` jobs at once) opened a connection for almost every won deal:
1,020 for 1,000 deals in ``bench/won_deals.py --quick``, a fifth of the run's CPU. A kept
connection costs a file handle and its page cache."""
ResultT = TypeVar("ResultT")

POOL_RECYCLE_SECONDS = 1800
"""PostgreSQL connections older than this are replaced at checkout, so one that a firewall or
proxy dropped while idle is not kept for ever.

The pool does not ping a connection before handing it out (``pool_pre_ping``): the ping was a
transaction of its own (BEGIN, a statement, ROLLBACK: three round trips) on every checkout, and
measured a sixth of the webhook intake's CPU. The cost of going without: after the database
restarts, the first statement on a stale connection fails. SQLAlchemy then invalidates every
connection of the pool, so that happens once per process; the webhook intake retries it on a
fresh connection (the sender sees no error), the worker retries the job, and an operator request
may answer 500 once.

On SQLite the pool does not roll every returned connection back either: every session and
connection of this service ends its own transaction (commit, or the rollback of ``close``)
before it goes back, so that rollback only ever ended nothing, and each was a call into the
driver (2.3 per won deal). :func:`_end_open_transaction` rolls back only a
connection whose driver still reports a transaction open (a ``close`` whose own rollback
failed, say). PostgreSQL keeps SQLAlchemy's reset: its intake batch writes through the raw
driver connection."""


def async_url(database_url: str) -> URL:
    """The URL with the async driver this service uses for its dialect."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database: {url.get_backend_name()}")


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _prepare_sqlite_file(url: URL) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pool_sizes(url: URL) -> dict[str, int]:
    """A file's pool keeps what it opens; an in-memory database has one connection, no sizes."""
    if not issubclass(SQLiteDialect_aiosqlite.get_pool_class(url), QueuePool):
        return {}
    return {"pool_size": SQLITE_KEPT_CONNECTIONS, "max_overflow": SQLITE_KEPT_CONNECTIONS}


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    driver = getattr(dbapi_connection, "_connection", None)
    calls_on_the_loop = isinstance(driver, sqlite_driver.OneTripConnection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite must not wait itself on the event loop's thread: the driver waits (sqlite_driver).
    cursor.execute(f"PRAGMA busy_timeout={0 if calls_on_the_loop else SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    if isinstance(driver, sqlite_driver.OneTripConnection):
        driver.busy_seconds = driver.turn.wait_seconds = SQLITE_BUSY_TIMEOUT_MS / 1000


def _end_open_transaction(dbapi_connection: Any, _record: Any, reset_state: PoolResetState) -> None:
    """The pool's reset of a SQLite connection: a rollback only when the driver says a
    transaction is still open (its flag is read without a call into SQLite)."""
    if reset_state.terminate_only or not reset_state.asyncio_safe:
        return  # the connection is being discarded, not pooled again
    driver = getattr(dbapi_connection, "_connection", dbapi_connection)
    if getattr(driver, "in_transaction", True):
        dbapi_connection.rollback()


def _connect_one_trip(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Opens SQLite connections whose cursors make one trip per statement (sqlite_driver)."""
    return dialect.dbapi.connect(*cargs, async_creator_fn=sqlite_driver.connect, **cparams)


def create_engine(database_url: str, *, pool_size: int = 20) -> AsyncEngine:
    """The engine for ``database_url``; on SQLite a pool that keeps what it opens up to
    :data:`SQLITE_KEPT_CONNECTIONS`; on PostgreSQL a pool of at most ``pool_size``
    connections, each kept once opened (no overflow: an overflow connection is closed as it
    comes back while the pool is full, so a load just above the pool's size opened a connection
    for almost every checkout: 154 in one worker's run of the scale-out benchmark)."""
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
        engine = create_async_engine(url, pool_reset_on_return=None, **_sqlite_pool_sizes(url))
        event.listen(engine.sync_engine, "do_connect", _connect_one_trip)
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        event.listen(engine.sync_engine.pool, "reset", _end_open_transaction)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_recycle=POOL_RECYCLE_SECONDS
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def retry_on_lost_connection(operation: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run ``operation``, and once more if it failed on a connection the database had closed
    (after a database restart, say). SQLAlchemy has invalidated the whole pool by then, so the
    second attempt gets a live connection. ``operation`` must be safe to repeat (its own
    transaction, rolled back by the failure)."""
    try:
        return await operation()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return await operation()
