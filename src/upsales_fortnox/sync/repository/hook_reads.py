"""What the Upsales catch-up reads of the recorded hooks (``inbound_events``, written by the
intake): the versions of entities that hooks already brought in."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.models.job import InboundEvent
from upsales_fortnox.vocabulary import EventSource, LinkEntity

_HOOKED_MOD_DATE = InboundEvent.payload[("data", "object", "modDate")].as_string()


async def hooked_mod_dates(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    entity: LinkEntity,
    ids: Collection[int],
    received_since: datetime,
) -> list[tuple[str | None, str | None]]:
    """(entity id, ``data.object.modDate`` text) of each Upsales hook of these entities
    received since ``received_since`` (the text None when the hook carries none)."""
    async with session_factory() as session:
        rows = await session.execute(
            select(InboundEvent.entity_id, _HOOKED_MOD_DATE).where(
                InboundEvent.installation_id == installation_id,
                InboundEvent.source == EventSource.UPSALES.value,
                InboundEvent.entity_type == entity.value,
                InboundEvent.entity_id.in_(sorted(str(i) for i in ids)),
                InboundEvent.received_at >= received_since,
            )
        )
        return [(entity_id, text) for entity_id, text in rows]
