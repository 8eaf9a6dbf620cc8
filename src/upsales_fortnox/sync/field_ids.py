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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import CustomFieldEntity
from upsales_fortnox.models.link import CustomFieldId

FOUND_TTL: Final = timedelta(hours=24)
ABSENT_TTL: Final = timedelta(minutes=15)


def _fresh(row: CustomFieldId, now: datetime) -> bool:
    ttl = FOUND_TTL if row.field_id is not None else ABSENT_TTL
    return now - row.resolved_at < ttl


async def custom_field_ids(
    session_factory: async_sessionmaker[AsyncSession],
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
            for row in await session.scalars(
                select(CustomFieldId).where(
                    CustomFieldId.installation_id == installation_id,
                    CustomFieldId.entity == entity,
                    CustomFieldId.alias.in_(list(aliases)),
                )
            )
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
        for alias, field_id in found.items():
            await session.merge(
                CustomFieldId(
                    installation_id=installation_id,
                    entity=entity,
                    alias=alias,
                    field_id=field_id,
                    resolved_at=now,
                )
            )
        await session.commit()
    return found
