"""Custom field ids found by alias, cached in the database (table ``custom_field_ids``): the
one lookup for accounts (:mod:`.outbound.custom_fields`), orders and products.

One ``GET /customfields/{entity}`` resolves every alias asked for together; a found id is
trusted for :data:`FOUND_TTL`, an alias the installation lacks is looked up again after
:data:`ABSENT_TTL` (an admin may add the field later). Without the field nothing is written; the
job result says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import CustomFieldEntity
from upsales_fortnox.links.repository.custom_field_ids import (
    CachedFieldId,
    cached_field_ids,
    store_field_ids,
)

FOUND_TTL: Final = timedelta(hours=24)
ABSENT_TTL: Final = timedelta(minutes=15)


def _fresh(row: CachedFieldId, now: datetime) -> bool:
    ttl = FOUND_TTL if row.field_id is not None else ABSENT_TTL
    return now - row.resolved_at < ttl


async def custom_field_ids(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    upsales: UpsalesPort,
    entity: CustomFieldEntity,
    aliases: Sequence[str],
    *,
    clock: Callable[[], datetime] = utcnow,
) -> dict[str, int | None]:
    """Alias → field id (None: the installation has no such field), from the cache while
    fresh, else from Upsales (then cached)."""
    now = clock()
    async with session_factory() as session:
        rows = {
            row.alias: row
            for row in await cached_field_ids(session, installation_id, entity, aliases)
        }
    if all(alias in rows and _fresh(rows[alias], now) for alias in aliases):
        return {alias: rows[alias].field_id for alias in aliases}
    found: dict[str, int | None] = {alias: None for alias in aliases}
    for field in await upsales.list_custom_fields(entity):
        key = (field.alias or "").strip().casefold()
        for alias in aliases:
            if key == alias.casefold() and found[alias] is None:
                found[alias] = field.id
    async with session_factory() as session:
        await store_field_ids(session, installation_id, entity, found, now)
        await session.commit()
    return found
