"""aiosqlite connections whose cursors make one trip to the driver's thread per statement.

aiosqlite runs each SQLite call in the connection's own thread, and SQLAlchemy's adapter makes
four calls of a query (open a cursor, execute, fetch the rows, close the cursor) and three of
a write: each a trip to that thread and back (a queue, a wake-up, the event loop's self-pipe),
which cost more CPU than SQLite's own work on this service's small statements. The cursor
here does them together in the thread: it executes, fetches up to :data:`PREFETCH_ROWS` rows
and closes its SQLite cursor in one trip. A result with more rows keeps its SQLite cursor open
and fetches the rest in further trips, so a streamed result is still read in batches.

Writers take turns on the event loop before their first write (:mod:`.sqlite_write_turns`).
Everything else (the connection, its thread, commit, rollback, close) is aiosqlite's own.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Final

import aiosqlite

from upsales_fortnox.core.db.sqlite_write_turns import WriteTurn, may_write

PREFETCH_ROWS = 256
"""Rows fetched with the statement itself; a larger result is fetched in batches this size."""

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, int, int | None, list[Any], sqlite3.Cursor | None]


def _execute(
    connection: sqlite3.Connection,
    sql: str,
    parameters: Sequence[Any] | None,
    commit: bool = False,
) -> Outcome:
    """In the driver's thread: run ``sql``, fetch its first rows, close the cursor unless more
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
            connection.commit()  # what it raises fails the statement: it is rolled back
    return (*outcome, cursor if more else None)


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
    """In the driver's thread: ``count`` more rows (all when ``None``), the row count so far
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


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, handing out :class:`OneTripCursor` cursors; its writes take
    their file's turns (:attr:`turn`)."""

    turn: WriteTurn
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

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.turn.give_back_unless(False)

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The SQLite connection, for functions run in the driver's thread."""
        connection: sqlite3.Connection = self._conn
        return connection

    async def run(self, function: Any, *arguments: Any) -> Any:
        """``function(*arguments)`` in the driver's thread."""
        return await self._execute(function, *arguments)  # type: ignore[no-untyped-call]


def connect(database: str, **options: Any) -> OneTripConnection:
    """As ``aiosqlite.connect``; SQLAlchemy awaits it (which starts the driver's thread)."""

    def open_sqlite() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **options)
        connection.create_function(SQLITE_LOWER, 1, _lower, deterministic=True)
        return connection

    connection = OneTripConnection(open_sqlite, iter_chunk_size=64)
    connection.turn = WriteTurn(database)
    connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
    return connection
