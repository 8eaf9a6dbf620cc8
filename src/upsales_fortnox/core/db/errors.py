"""The database's errors as code outside the repositories tells them apart, and database URLs
safe to show."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)


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
