"""The ``custom_field_ids`` table: Upsales custom field ids found by alias, cached per
installation and entity (the rules of their freshness are the sync's,
:mod:`upsales_fortnox.sync.field_ids`). Functions work in the caller's session; it commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.link import CustomFieldId


@dataclass(frozen=True)
class CachedFieldId:
    alias: str
    field_id: int | None
    """None: the installation had no field with the alias (checked at ``resolved_at``)."""
    resolved_at: datetime


def _cached(row: CustomFieldId) -> CachedFieldId:
    return CachedFieldId(row.alias, row.field_id, row.resolved_at)


async def _rows(
    session: AsyncSession,
    installation_id: uuid.UUID,
    entity: str,
    aliases: Sequence[str] | None,
) -> list[CustomFieldId]:
    query = select(CustomFieldId).where(
        CustomFieldId.installation_id == installation_id, CustomFieldId.entity == entity
    )
    if aliases is not None:
        query = query.where(CustomFieldId.alias.in_(list(aliases)))
    return list(await session.scalars(query))


async def cached_field_ids(
    session: AsyncSession,
    installation_id: uuid.UUID,
    entity: str,
    aliases: Sequence[str] | None = None,
) -> list[CachedFieldId]:
    """What the cache holds for ``entity`` (only ``aliases``, when given), however old."""
    return [_cached(row) for row in await _rows(session, installation_id, entity, aliases)]


async def store_field_ids(
    session: AsyncSession,
    installation_id: uuid.UUID,
    entity: str,
    found: Mapping[str, int | None],
    resolved_at: datetime,
) -> None:
    """Cache the ids just looked up (alias → id, None when absent), replacing older ones: an
    upsert, so two runs that looked them up at once (won deals side by side, or the API and a
    worker) both store them."""
    if not found:
        return
    connection = await session.connection()
    statement = upsert_insert(connection.dialect.name, CustomFieldId).values(
        [
            {
                "installation_id": installation_id,
                "entity": entity,
                "alias": alias,
                "field_id": field_id,
                "resolved_at": resolved_at,
            }
            for alias, field_id in sorted(found.items())
        ]
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["installation_id", "entity", "alias"],
            set_={
                "field_id": statement.excluded.field_id,
                "resolved_at": statement.excluded.resolved_at,
            },
        )
    )


async def forget_field_ids(session: AsyncSession, installation_id: uuid.UUID, entity: str) -> None:
    """Drop the cache of ``entity``'s ids."""
    for row in await _rows(session, installation_id, entity, None):
        await session.delete(row)
