"""Where a SQLite database lives on disk, for what must sit beside it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.session import DbSessionFactory


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite database URL; None for another database, or one in memory or
    named by a ``file:`` URI."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def sqlite_file(session_factory: DbSessionFactory) -> Path | None:
    """The database file of the factory's SQLite engine (:func:`sqlite_path`); None also for
    a factory bound to no engine."""
    engine = session_factory.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        return None
    return sqlite_path(engine.url)
