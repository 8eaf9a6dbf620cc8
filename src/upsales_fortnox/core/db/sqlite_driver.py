"""aiosqlite connections that call SQLite on the event loop's thread, one call per statement.

aiosqlite runs each SQLite call in a thread of the connection's own: a queue, a wake-up, the
event loop's self-pipe, and the interpreter's lock handed back and forth, for every call. On
this service's small statements that cost more CPU than SQLite's own work (in the won-deals
benchmark a tenth of the event loop's CPU was the hand-over alone, and as much again in the
threads), so the connection here makes its calls where it is awaited, on the event loop's
thread. A statement is one call: it executes, fetches up to :data:`PREFETCH_ROWS` rows and
closes its SQLite cursor; a result with more rows keeps its cursor open and is fetched in
batches of that size, so a streamed result is still read a batch at a time.

No call may wait inside SQLite, which would stop the event loop: the connection's busy timeout
is 0, this process's writers take turns on the event loop before their first write
(:mod:`.sqlite_write_turns`), and a call that still finds the file locked (by another process:
a command beside the service) is tried again after a pause on the event loop, as SQLite's own
busy handler would have slept, for at most :attr:`OneTripConnection.busy_seconds`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from functools import partial
from typing import Any, Final

import aiosqlite

from upsales_fortnox.core.db.sqlite_write_turns import WriteTurn, may_write

PREFETCH_ROWS = 256
"""Rows fetched with the statement itself; a larger result is fetched in batches this size."""

BUSY_PAUSES: Final = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)
"""Pauses between tries of a call that found the file locked (SQLite's own busy handler's);
the last repeats until the busy time is up."""

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, int, int | None, list[Any], sqlite3.Cursor | None]


def _execute(
    connection: sqlite3.Connection,
    sql: str,
    parameters: Sequence[Any] | None,
    commit: bool = False,
) -> Outcome:
    """On the event loop's thread: run ``sql``, fetch its first rows, close the cursor unless more
    rows wait; with ``commit``, commit its transaction too once all its rows are read."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchmany(PREFETCH_ROWS) if cursor.description is not None else []
    except BaseException:
        cursor.close()
        raise
    more = len(rows) == PREFETCH_ROWS
    outcome = (cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    if not more:
        cursor.close()
        if commit and connection.in_transaction:
            try:
                connection.commit()  # what else it raises fails the statement: rolled back
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise  # busy: left open, for the caller's own commit to try again
    return (*outcome, cursor if more else None)


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` says the database file is locked by another connection, for as long as
    it holds it. Not a write behind a snapshot older than the last commit (a streamed result
    still read): that can never succeed, and SQLite's own busy handler does not wait for it."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "database is locked" in str(error)
    return bool(code & 0xFF == sqlite3.SQLITE_BUSY and code != sqlite3.SQLITE_BUSY_SNAPSHOT)


def _execute_many(
    connection: sqlite3.Connection, sql: str, parameters: Iterable[Sequence[Any]]
) -> tuple[int, int | None]:
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _fetch(
    cursor: sqlite3.Cursor, count: int | None
) -> tuple[list[Any], int, sqlite3.Cursor | None]:
    """On the event loop's thread: ``count`` more rows (all when ``None``), the row count so far
    (a statement with ``RETURNING`` counts its rows as they are fetched), and the cursor while
    it has rows left (it is closed once it has none)."""
    rows = cursor.fetchall() if count is None else cursor.fetchmany(count)
    rowcount = cursor.rowcount
    if count is None or len(rows) < count:
        cursor.close()
        return rows, rowcount, None
    return rows, rowcount, cursor


class OneTripCursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses, a statement per trip."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()
        self._open: sqlite3.Cursor | None = None
        """The SQLite cursor of a result with rows not fetched yet."""

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        await self.close()
        connection = self._connection
        if may_write(sql):
            await connection.turn.take()
        try:
            outcome = await connection.run(
                _execute, connection.sqlite, sql, parameters, connection.commit_each_statement
            )
        finally:
            connection.end_of_statement()
        self.description, self.rowcount, self.lastrowid, rows, self._open = outcome
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        await self.close()
        connection = self._connection
        await connection.turn.take()
        try:
            self.rowcount, self.lastrowid = await connection.run(
                _execute_many, connection.sqlite, sql, parameters
            )
        finally:
            connection.end_of_statement()
        self.description = None
        return self

    async def _fetch_more(self, count: int | None) -> None:
        if self._open is None:
            return
        rows, self.rowcount, self._open = await self._connection.run(_fetch, self._open, count)
        self._rows.extend(rows)

    async def fetchone(self) -> Any:
        if not self._rows:
            await self._fetch_more(PREFETCH_ROWS)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = self.arraysize if size is None else size
        if len(self._rows) < wanted:
            await self._fetch_more(max(wanted - len(self._rows), PREFETCH_ROWS))
        return [self._rows.popleft() for _ in range(min(wanted, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        await self._fetch_more(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()
        if self._open is not None:
            cursor, self._open = self._open, None
            await self._connection.run(cursor.close)


SQLITE_LOWER: Final = "ufs_lower"
"""A SQL function of every connection: Python's ``str.lower``, which folds å, ä, ö and every
other letter (SQLite's own ``lower`` folds ASCII alone)."""


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


class _RunNow:
    """Stands in for aiosqlite's queue to its thread, for code that puts a call on it directly
    (SQLAlchemy's setter of the isolation level): runs the call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is None:
                raise
            future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, making its SQLite calls on the event loop's thread (see the
    module) and handing out :class:`OneTripCursor` cursors; its writes take their file's turns
    (:attr:`turn`)."""

    turn: WriteTurn
    busy_seconds = 30.0
    """How long a call that finds the file locked is tried again (the engine sets it)."""
    commit_each_statement = False
    """Set by :func:`~upsales_fortnox.core.db.one_statement.one_statement`: a statement is
    committed in the same trip, so the write lock is let go as it answers."""

    def end_of_statement(self) -> None:
        """The turn goes on unless the statement left a transaction open."""
        connection = self._connection
        self.turn.give_back_unless(connection is not None and connection.in_transaction)

    async def commit(self) -> None:
        """As aiosqlite's, without a trip when no transaction is open (nothing written since
        the last commit: the driver starts none for a query)."""
        connection = self._connection
        if connection is not None and not connection.in_transaction:
            return
        try:
            await super().commit()
        finally:
            self.end_of_statement()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self.end_of_statement()

    def __await__(self) -> Generator[Any, None, OneTripConnection]:
        return self._open().__await__()

    async def _open(self) -> OneTripConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` now, on this thread; tried again while the file is busy."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        return await self._when_free(partial(fn, *args, **kwargs))

    async def _when_free(self, call: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_seconds
        for tried in range(1_000_000):
            pause = BUSY_PAUSES[min(tried, len(BUSY_PAUSES) - 1)]
            await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not is_busy(error) or loop.time() >= deadline:
                    raise
        raise sqlite3.OperationalError("database is locked")

    def stop(self) -> None:
        """Closes the SQLite connection (there is no thread to stop)."""
        self._running = False
        connection, self._connection = self._connection, None
        self.turn.give_back_unless(False)
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        self.stop()

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The SQLite connection, for the functions :meth:`run` calls."""
        connection: sqlite3.Connection = self._conn
        return connection

    async def run(self, function: Any, *arguments: Any) -> Any:
        """``function(*arguments)``, tried again while the file is busy."""
        return await self._execute(function, *arguments)


def connect(database: str, **options: Any) -> OneTripConnection:
    """As ``aiosqlite.connect``; SQLAlchemy awaits it (which opens the SQLite connection)."""

    def open_sqlite() -> sqlite3.Connection:
        # Used from whichever thread runs the event loop that awaits it (one at a time).
        options.setdefault("check_same_thread", False)
        # No wait inside SQLite from the first statement on (the connection's settings): the
        # module's own default would wait 5 s there, the event loop stopped, for a file another
        # process holds. The driver waits on the loop instead (OneTripConnection._when_free).
        options["timeout"] = 0
        connection: sqlite3.Connection = sqlite3.connect(database, **options)
        connection.create_function(SQLITE_LOWER, 1, _lower, deterministic=True)
        return connection

    connection = OneTripConnection(open_sqlite, iter_chunk_size=64)
    connection.turn = WriteTurn(database)
    connection._tx = _RunNow()  # type: ignore[assignment]
    return connection
