"""Background work waits for the schema its version needs.

A worker started before ``migrate`` has run (a deployment starting its processes with the
migration, or after one that stopped) would run every job on tables short of a column or a
table: each would fail and be retried until it died. It waits instead, saying why once, and
starts when the schema is there. A schema made without Alembic, or at a revision this version
does not know (a newer version's, migrated ahead of a rolling upgrade), is taken as it is.

A schema that cannot be read (the database away for a moment) is no proof of the migrations:
the work waits until a reading shows them. The migrations this version has are read from its
scripts off the event loop (a quarter of a second of parsing that the API's requests would
otherwise wait behind as the process starts).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.migrate import missing_migrations
from upsales_fortnox.core.db.ping import schema_revisions
from upsales_fortnox.core.db.unavailable import DATABASE_NOT_MIGRATED, DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 5.0
"""How often a waiting process looks at the schema again."""


async def _short_of(engine: AsyncEngine, table: str) -> str | None:
    """Why the schema is short of this version's (None: it is not)."""
    revisions = await schema_revisions(engine, table)
    if revisions is None:
        return "the database has no tables yet"
    if await asyncio.to_thread(missing_migrations, revisions):
        return f"the database's schema is at migration {', '.join(revisions)}"
    return None


async def wait_for_schema(engine: AsyncEngine, stop: asyncio.Event, table: str) -> bool:
    """Return True once the schema has every migration of this version (``table``: one of the
    service's, telling a database without them), False if ``stop`` was set first."""
    told: set[str] = set()
    while True:  # one reading at least: a process stopped at once on its schema starts as ever
        try:
            reason = await _short_of(engine, table)
        except (SQLAlchemyError, OSError) as exc:  # TimeoutError is an OSError
            if DATABASE_UNAVAILABLE not in told:
                told.add(DATABASE_UNAVAILABLE)
                logger.warning(
                    "%s: the database's schema could not be read (%s); background work waits"
                    " for it",
                    DATABASE_UNAVAILABLE,
                    type(exc).__name__,
                )
        else:
            if reason is None:
                if told:
                    logger.info(
                        "the database's schema is at this version's newest: background work starts"
                    )
                return True
            if DATABASE_NOT_MIGRATED not in told:
                told.add(DATABASE_NOT_MIGRATED)
                logger.warning(
                    "%s: %s, short of this version's newest: run `upsales-fortnox migrate`;"
                    " background work waits for it",
                    DATABASE_NOT_MIGRATED,
                    reason,
                )
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        except TimeoutError:
            continue
        return False
