"""One process's writers to a SQLite file take turns on the event loop, not in SQLite's wait.

SQLite lets one transaction write at a time. A connection that finds the file locked waits in
SQLite's busy handler, which sleeps and tries again (after 1, 2, 5, ... up to 100 ms), so the
write lock, once free, can stay unused for tens of milliseconds while every waiter sleeps: in
the won-deals benchmark the event loop sat idle for a fifth of the run. Here a connection takes
its file's turn (an :class:`asyncio.Lock`, first come first served) before its transaction's
first write and gives it back as the transaction ends, so the next writer starts the moment
the last one is done. Reads never take a turn (WAL lets them run beside a writer).

Another process's writers (a CLI command beside the service) still meet SQLite's own lock and
its busy handler. A turn not had within the connection's busy timeout fails as SQLite's own
wait would: ``sqlite3.OperationalError('database is locked')``. In-memory databases (one per
connection) take no turns.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import weakref
from typing import Final

_READS: Final = ("SELECT", "WITH", "EXPLAIN", "PRAGMA")
"""Statements that take no turn: queries (the driver starts no transaction for them) and the
settings each connection makes as it opens (a new connection must not wait for a writer)."""

_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def may_write(sql: str) -> bool:
    """Whether ``sql`` may write (or begin a transaction that will): anything but a query."""
    return not sql.lstrip()[:7].upper().startswith(_READS)


def file_of(database: str) -> str | None:
    """The file whose writers take turns, or None for an in-memory database."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    if database.startswith("file:"):
        return database.split("?", 1)[0]
    return os.path.abspath(database)


def _waiting(lock: asyncio.Lock | None) -> int:
    waiters = getattr(lock, "_waiters", None)  # asyncio.Lock's queue, None until one waits
    return len(waiters) if waiters else 0


class WriteTurn:
    """A connection's place in its file's turns: held from its first write to its end."""

    def __init__(self, database: str) -> None:
        self._file = file_of(database)
        self._held: asyncio.Lock | None = None
        self.wait_seconds = 30.0
        """How long to wait for the turn: the connection's busy timeout."""

    def _lock(self) -> asyncio.Lock | None:
        if self._file is None:
            return None
        by_file = _TURNS.setdefault(asyncio.get_running_loop(), {})
        lock = by_file.get(self._file)
        if lock is None:
            lock = by_file[self._file] = asyncio.Lock()
        return lock

    @property
    def writers_waiting(self) -> int:
        """How many connections wait for this file's turn now."""
        return _waiting(self._lock())

    async def take(self) -> None:
        """Wait for the turn, unless this connection holds it already."""
        if self._held is not None:
            return
        lock = self._lock()
        if lock is None:
            return
        if not lock.locked() and not _waiting(lock):  # free: taken at once, no timer needed
            await lock.acquire()
            self._held = lock
            return
        try:
            async with asyncio.timeout(self.wait_seconds):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._held = lock

    def give_back_unless(self, in_transaction: bool) -> None:
        """After a statement or the transaction's end: the turn goes to the next writer unless
        a transaction is still open."""
        if in_transaction or self._held is None:
            return
        held, self._held = self._held, None
        held.release()
