"""The database's errors as code outside the repositories tells them apart, and database URLs
safe to show."""

from __future__ import annotations

import sqlite3
from typing import Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

from upsales_fortnox.core.db.sqlite_driver import is_busy


def safe_database_url(url: str) -> str:
    """``url`` with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable DATABASE_URL)"


def is_connection_or_schema_error(exc: BaseException) -> bool:
    """The database refused the connection or the statement (unreachable, wrong credentials,
    missing tables): a setup problem, not a bug."""
    return isinstance(exc, OperationalError | ProgrammingError)


def is_refused_by_database(exc: BaseException) -> bool:
    """:func:`is_connection_or_schema_error`, or a login the database refused (asyncpg's refusal
    of a mistyped user or database name arrives as a bare ``DBAPIError``); never a constraint
    broken, which is no setup problem."""
    if is_connection_or_schema_error(exc):
        return True
    return isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError)


_LOCK_NOT_AVAILABLE: Final = "55P03"
"""PostgreSQL's SQLSTATE for a lock not granted within ``lock_timeout``."""


def is_lock_timeout(exc: BaseException) -> bool:
    """A statement PostgreSQL gave up after waiting ``lock_timeout`` for a lock another
    transaction holds."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == _LOCK_NOT_AVAILABLE


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLite gave up waiting its busy timeout for the write lock another connection held."""
    orig = getattr(exc, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and is_busy(orig)


def driver_message(exc: BaseException) -> str:
    """What the database driver said (for a database error), else the error's own text."""
    return str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)


class MigrationStopped(Exception):
    """A migration found rows it cannot carry over and changed nothing; the message says what
    the operator does before running ``migrate`` again."""

    code = "migration_stopped"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MigrationLockTimeout(Exception):
    """A migration waited longer than its lock timeout for a lock another transaction holds (a
    worker's, say) and was undone; running it again once that transaction has ended succeeds."""

    code = "migration_lock_timeout"

    def __init__(self, seconds: float) -> None:
        self.message = (
            f"waited {seconds:g} s for a lock that another transaction holds (a running worker "
            "or a long query) and undid the migration: run `upsales-fortnox migrate` again, with "
            "the workers stopped or a longer --lock-timeout"
        )
        super().__init__(self.message)
