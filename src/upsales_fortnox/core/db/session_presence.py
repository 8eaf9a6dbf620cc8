"""A process's presence on PostgreSQL: a session-level advisory lock held on a connection of
its own, for as long as the process runs.

The lock is keyed by a name (``hashtext(name)`` under a ``lock_class`` of the caller's), so any
process can tell from ``pg_locks`` whether the named one is still connected. When a process
dies, even by ``kill -9``, its connection closes and the server drops the lock at once
(:func:`is_present` is the test, written once for all). When its host goes without closing
the connection (a network cut, the machine lost), the server notices after a while of the
caller's choosing (``gone_after_seconds``, see :data:`_SESSION_SETTINGS`). Workers use it for
their leases (:mod:`upsales_fortnox.jobs.store.presence`), processes calling Fortnox for their
places in the shared request budget (:mod:`upsales_fortnox.fortnox_budget.repository`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    cast,
    column,
    event,
    func,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

_LOCK = text("SELECT pg_advisory_lock(:lock_class, hashtext(:name))")
_SESSION_SETTINGS = text(
    "SELECT set_config('tcp_keepalives_idle', :keepalives_idle, false),"
    " set_config('tcp_keepalives_interval', :keepalives_interval, false),"
    " set_config('tcp_keepalives_count', '3', false),"
    " set_config('idle_in_transaction_session_timeout', :idle_in_transaction, false),"
    " set_config('lock_timeout', :lock_timeout, true)"
)
"""The presence session's settings, made before its lock is taken. The server ends the session
of a host gone without a word (a network cut, a crash of the machine) between ``gone_after``
and 4/3 of it after the cut, once its keepalives have failed, instead of the system's two
hours, and one left inside a transaction after ``gone_after``, so neither holds a lock for
hours. Taking the lock waits at most ``lock_timeout`` (for this transaction only): a name still
held by such a session fails then, and is tried again at the next use, rather than holding up
every caller meanwhile."""
DEFAULT_GONE_AFTER_SECONDS = 60.0
DEFAULT_LOCK_TIMEOUT_SECONDS = 10.0
_UNLOCK = text("SELECT pg_advisory_unlock(:lock_class, hashtext(:name))")

_PG_LOCKS = table(
    "pg_locks",
    column("locktype"),
    column("database"),
    column("classid"),
    column("objid"),
    column("objsubid"),
    column("granted"),
)
_PG_DATABASE = table("pg_database", column("oid"), column("datname"))


def present(lock_class: int | ColumnElement[Any]) -> Select[tuple[Any]]:
    """The presence locks of ``lock_class`` held in this database now: the ``hashtext`` of
    each connected process's name (an ``oid``). ``lock_class`` may be SQL (a database
    function's parameter)."""
    this_database = (
        select(_PG_DATABASE.c.oid)
        .where(_PG_DATABASE.c.datname == func.current_database())
        .scalar_subquery()
    )
    return select(_PG_LOCKS.c.objid).where(
        _PG_LOCKS.c.locktype == "advisory",
        _PG_LOCKS.c.database == this_database,
        _PG_LOCKS.c.classid == cast(lock_class, postgresql.OID),
        _PG_LOCKS.c.objsubid == 2,  # the two-key form of the lock
        _PG_LOCKS.c.granted,
    )


def is_present(name: ColumnExpressionArgument[Any], lock_class: int) -> ColumnElement[bool]:
    """Whether the process called ``name`` holds its presence lock of ``lock_class`` now."""
    # Not correlated: the lock table is read once per statement, not once per row.
    return func.hashtext(name).cast(postgresql.OID).in_(present(lock_class))


def process_name() -> str:
    """A name unique to this process (host, pid and a random suffix), for its presence lock."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Presence:
    """The connection holding the presence lock of ``name`` in ``lock_class``, opened on first
    use. Closed with :meth:`close`, or ended with the engine (its ``dispose``), whichever
    comes first."""

    def __init__(
        self,
        engine: AsyncEngine,
        lock_class: int,
        name: str,
        *,
        gone_after_seconds: float = DEFAULT_GONE_AFTER_SECONDS,
        lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        """``gone_after_seconds``: how soon after its host went silent the server may end the
        session (and the lock with it); ``lock_timeout_seconds``: how long taking the lock
        waits for a session that holds the name still; ``on_lost``: told at once when the
        connection ends other than by :meth:`close` (the database restarted or ended the
        session): others may count the process gone from then on."""
        self._engine = engine
        self._on_lost = on_lost
        self._ended_connection: AsyncConnection | None = None
        """The presence connection the database ended, until it is replaced."""
        self._listening: tuple[Any, Callable[[Any], None]] | None = None
        """The driver connection told to report its end, and what it tells."""
        self._params = {"lock_class": lock_class, "name": name}
        # Three failed probes end the session; the last answered one may be an idle time
        # before the cut, so probes every third of ``gone_after`` (idle no longer than that)
        # end it no sooner than ``gone_after`` after the cut (and no later than 4/3 of it).
        probe_seconds = str(max(1, math.ceil(gone_after_seconds / 3)))
        self._session_settings = {
            "keepalives_idle": probe_seconds,
            "keepalives_interval": probe_seconds,
            "idle_in_transaction": f"{max(1, round(gone_after_seconds * 1000))}ms",
            "lock_timeout": f"{max(1, round(lock_timeout_seconds * 1000))}ms",
        }
        self._connection: AsyncConnection | None = None
        self.lock = asyncio.Lock()
        """Held by whoever uses :meth:`connection` (one statement stream at a time)."""
        event.listen(engine.sync_engine, "engine_disposed", self._end_with_engine)

    def _end_with_engine(self, _engine: Any) -> None:
        """The engine is disposed (the process is done with the database): the presence ends
        with it instead of leaving its connection checked out. Runs inside ``dispose``, where
        the driver's calls may be made synchronously."""
        connection, self._connection = self._connection, None
        self._stop_listening()
        if connection is not None and connection.sync_connection is not None:
            with contextlib.suppress(Exception):
                connection.sync_connection.invalidate()  # closed: the server drops the lock

    async def connection(self) -> AsyncConnection:
        """The presence connection, the lock taken (call with :attr:`lock` held)."""
        current = self._connection
        if current is not None and (
            current is self._ended_connection or current.invalidated or current.closed
        ):
            await self.discard()  # it ended (the lock with it): connect and lock again
        if self._connection is None:
            connection = await self._engine.connect()
            try:
                await connection.execute(_SESSION_SETTINGS, self._session_settings)
                await connection.execute(_LOCK, self._params)
                await connection.commit()  # the lock outlives the transaction
                if self._on_lost is not None:
                    driver = (await connection.get_raw_connection()).driver_connection
                    if driver is None:
                        raise ConnectionError("the presence connection has no driver connection")
                    listener = partial(self._ended, connection)
                    driver.add_termination_listener(listener)
                    self._listening = (driver, listener)
                    if driver.is_closed():  # it ended before it was listened to
                        raise ConnectionError("the presence connection ended as it was made")
            except BaseException:
                self._stop_listening()
                await _drop(connection)
                raise
            self._connection = connection
        return self._connection

    def _stop_listening(self) -> None:
        listening, self._listening = self._listening, None
        if listening is not None:
            driver, listener = listening
            with contextlib.suppress(Exception):
                driver.remove_termination_listener(listener)

    def _ended(self, connection: AsyncConnection, _driver: Any) -> None:
        """The driver's connection ended; unless by our own doing (closed or discarded, when
        it is no longer the current one), the lock went with it."""
        if self._connection is connection:
            self._ended_connection = connection
            if self._on_lost is not None:
                self._on_lost()

    async def discard(self) -> None:
        """Drop a connection that failed: the server releases its lock (``on_lost`` is told,
        unless it was told already); the next use reconnects (call with :attr:`lock` held)."""
        connection, self._connection = self._connection, None
        self._stop_listening()
        if connection is not None:
            await _drop(connection)
            if connection is not self._ended_connection and self._on_lost is not None:
                self._on_lost()

    async def close(self) -> None:
        """Release the lock and give the connection back."""
        async with self.lock:
            connection, self._connection = self._connection, None
            self._stop_listening()
            if connection is None:
                return
            if connection is self._ended_connection or connection.invalidated:  # lock gone
                await _drop(connection)
                return
            try:
                await connection.execute(_UNLOCK, self._params)
                await connection.commit()
            except Exception:
                logger.warning("releasing a presence lock failed", exc_info=True)
            await _drop(connection)  # not back to the pool with its settings


async def _drop(connection: AsyncConnection) -> None:
    """Close ``connection`` without handing it back to the pool (nor its lock and settings)."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()
