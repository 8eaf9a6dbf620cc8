"""The database's errors as code outside the repositories tells them apart, and database URLs
safe to show."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, ProgrammingError


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


def driver_message(exc: BaseException) -> str:
    """What the database driver said (for a database error), else the error's own text."""
    return str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
