"""Where a SQLite database lives on disk, for what must sit beside it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.session import DbSessionFactory


def sqlite_file(session_factory: DbSessionFactory) -> Path | None:
    """The database file of the factory's SQLite engine; None for another database, one in
    memory, or a factory bound to no engine."""
    engine = session_factory.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        return None
    url = engine.url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)
