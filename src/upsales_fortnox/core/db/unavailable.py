"""What "the database cannot take this now" looks like, and how callers are told to come back.

An error of the database or of the way to it (a refused or dropped connection, a pool with no
free connection in time, SQLite locked or full) means the request's transaction did not commit:
the webhook intake answers 503 with ``Retry-After`` (code ``database_unavailable``), so a sender
retries instead of taking the event for delivered.
"""

from __future__ import annotations

import sqlite3
import traceback
from pathlib import PurePath
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS: Final = 5
"""What a 503 for an unavailable database asks the caller to wait."""

DATABASE_UNAVAILABLE: Final = "database_unavailable"

RETRY_LATER_RESPONSE: Final[dict[str, Any]] = {
    "description": "Not taken now, nothing stored (`database_unavailable`, or `overloaded` "
    "when the intake is at its limit); retry after `Retry-After` seconds.",
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}
"""The OpenAPI entry of such a 503."""

_DATABASE_ERRORS: Final = (
    SQLAlchemyError,  # OperationalError (locked, full, refused), pool TimeoutError, DBAPIError
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,  # connection refused or reset on the asyncpg fast path
    TimeoutError,
)


DATABASE_ERROR_TYPES: Final = (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""The errors that come only from the database or the way to it (the plain ``OSError`` and
``TimeoutError`` above may come from anything): what every route answers with 503."""


DATABASE_NOT_MIGRATED: Final = "database_not_migrated"
"""The database answers but has none of the service's tables: ``upsales-fortnox migrate`` was
not run on it (or DATABASE_URL names another database)."""

NOT_MIGRATED_MESSAGE: Final = (
    "the database has no tables yet: run `upsales-fortnox migrate` on it, or point "
    "DATABASE_URL at the service's database"
)

_UNDEFINED_TABLE: Final = "42P01"
"""PostgreSQL's SQLSTATE for a table that does not exist."""


def is_missing_schema(exc: BaseException) -> bool:
    """A statement refused because its table does not exist (SQLite: "no such table")."""
    if not isinstance(exc, SQLAlchemyError):
        return False
    driver_error = getattr(exc, "orig", None)
    if getattr(driver_error, "sqlstate", None) == _UNDEFINED_TABLE:
        return True
    return "no such table" in str(driver_error if driver_error is not None else exc)


_DATABASE_DRIVERS: Final = frozenset({"asyncpg", "sqlalchemy", "aiosqlite"})


def is_database_socket_error(exc: BaseException) -> bool:
    """A socket error (refused, reset, timed out) raised on the way to the database: asyncpg
    connects outside SQLAlchemy's error wrapping, so a database that refuses connections
    reaches the caller as a bare ``OSError`` (told from any other by where it was raised)."""
    if not isinstance(exc, OSError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return any(_DATABASE_DRIVERS.intersection(PurePath(frame.filename).parts) for frame in frames)


def is_database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, _DATABASE_ERRORS)


_SQLITE_ERROR: Final = 1
"""SQLite's generic error code: a statement it cannot run (a missing table, bad SQL), which
says nothing of the database being out of reach (sqlite3 raises it as ``OperationalError``)."""

_GONE_ON_THE_WAY: Final = (
    PoolTimeout,
    InterfaceError,
    asyncpg.InterfaceError,  # the connection closed under the driver
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # starting up, shutting down
    asyncpg.AdminShutdownError,
)


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database, or the way to it, failed under a running job (a
    dropped or refused connection, a pool with none free in time, SQLite locked, full or not
    openable): the job's error then has the code ``database_unavailable``. Narrower than
    :func:`is_database_unavailable`: a constraint refused or a statement the database cannot
    run is the job's own fault, not an outage."""
    if any(isinstance(error, _GONE_ON_THE_WAY) for error in _causes(exc)):
        return True  # the driver's own error, also as SQLAlchemy wraps it (a refused login)
    if is_database_socket_error(exc):  # refused or reset on the asyncpg fast path; a socket
        return True  # error of anything else is the job's own unexpected error
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        original = exc.orig
        return not (
            isinstance(original, sqlite3.Error)
            and getattr(original, "sqlite_errorcode", None) == _SQLITE_ERROR
        )
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc``, and for SQLAlchemy's wrapper of a driver error that error (``orig``) and what
    raised it (the driver's own exception, under SQLAlchemy's asyncpg adapter)."""
    if not isinstance(exc, DBAPIError) or not isinstance(exc.orig, BaseException):
        return [exc]
    found: list[BaseException] = [exc, exc.orig]
    if exc.orig.__cause__ is not None:
        found.append(exc.orig.__cause__)
    return found
