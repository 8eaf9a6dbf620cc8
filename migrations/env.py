"""Alembic environment: runs migrations on the async engine of a database URL.

The URL is ``config.attributes["database_url"]`` (set by
:func:`upsales_fortnox.core.db.migrate.alembic_config`, which the ``migrate`` command, the demo
and the tests use), else ``DATABASE_URL``. The migrations always run on a connection this module
opens itself: on SQLite, foreign keys are turned off and the one transaction of the whole run is
opened (``BEGIN IMMEDIATE``) before anything else is done on it
(:mod:`upsales_fortnox.core.db.sqlite_migration`), which a connection passed in, possibly in a
transaction already, could not promise. On PostgreSQL the run holds the migration lock
(:mod:`upsales_fortnox.core.db.migration_lock`), then waits for any other lock at most
``config.attributes["lock_timeout_seconds"]``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import upsales_fortnox.models  # noqa: F401  (registers the tables)
from upsales_fortnox.core.config import load_settings
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.lock_wait import bound_lock_waits_sync
from upsales_fortnox.core.db.migration_lock import (
    DEFAULT_LOCK_TIMEOUT_SECONDS,
    hold_migration_lock,
)
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
        bound_lock_waits_sync(  # then no endless wait behind a running transaction
            connection,
            context.config.attributes.get("lock_timeout_seconds", DEFAULT_LOCK_TIMEOUT_SECONDS),
        )
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
    database_url = context.config.attributes.get("database_url") or load_settings().database_url
    asyncio.run(_run_online(database_url))


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run()
