"""Background work waits for the schema its version needs.

A worker started before ``migrate`` has run (a deployment starting its processes with the
migration, or after one that stopped) would run every job on tables short of a column or a
table: each would fail and be retried until it died. It waits instead, saying why once, and
starts when the schema is there. A schema made without Alembic, or at a revision this version
does not know (a newer version's, migrated ahead of a rolling upgrade), is taken as it is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.migrate import missing_migrations
from upsales_fortnox.core.db.ping import schema_revisions
from upsales_fortnox.core.db.unavailable import DATABASE_NOT_MIGRATED

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 5.0
"""How often a waiting process looks at the schema again."""


async def _short_of(engine: AsyncEngine, table: str) -> str | None:
    """Why the schema is short of this version's (None: it is not, or it cannot be told)."""
    try:
        revisions = await schema_revisions(engine, table)
    except Exception:  # the database is away: the background work's own waiting covers it
        return None
    if revisions is None:
        return "the database has no tables yet"
    if missing_migrations(revisions):
        return f"the database's schema is at migration {', '.join(revisions)}"
    return None


async def wait_for_schema(engine: AsyncEngine, stop: asyncio.Event, table: str) -> bool:
    """Return True once the schema has every migration of this version (``table``: one of the
    service's, telling a database without them), False if ``stop`` was set first."""
    reason = await _short_of(engine, table)
    if reason is None:
        return True
    logger.warning(
        "%s: %s, short of this version's newest: run `upsales-fortnox migrate`; background"
        " work waits for it",
        DATABASE_NOT_MIGRATED,
        reason,
    )
    while reason is not None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        except TimeoutError:
            reason = await _short_of(engine, table)
        else:
            return False
    logger.info("the database's schema is at this version's newest: background work starts")
    return True
