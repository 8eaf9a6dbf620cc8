"""Alembic environment: runs migrations on the async engine of ``DATABASE_URL``.

A caller may pass a ready connection in ``config.attributes["connection"]`` (tests and the
``migrate`` command do), or the URL in ``config.attributes["database_url"]``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import upsales_fortnox.models  # noqa: F401  (registers the tables)
from upsales_fortnox.core.config import load_settings
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.migration_lock import hold_migration_lock
from upsales_fortnox.core.db.sqlite_migration import (
    begin_sqlite_migration,
    check_sqlite_references,
)

target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        hold_migration_lock(connection)  # replicas starting together migrate one at a time
        context.run_migrations()
        check_sqlite_references(connection)


async def _run_online(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            # SQLite: no cascades while tables are copied, and one transaction for it all
            await connection.run_sync(begin_sqlite_migration)
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    database_url = context.config.attributes.get("database_url") or load_settings().database_url
    asyncio.run(_run_online(database_url))


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run()
