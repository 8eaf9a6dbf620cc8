"""What the stream consumer reads and writes in the database: the installations it follows,
the topics' offsets, and the events it records through the intake."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake import FortnoxChangeEvent, record_fortnox_events
from upsales_fortnox.integrations.fortnox.stream import Message
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import StreamOffset
from upsales_fortnox.vocabulary import InstallationStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamTenant:
    """An installation as the intake sees it (``id``, ``fortnox_tenant_id``)."""

    id: uuid.UUID
    fortnox_tenant_id: str | None


class StreamRecorder(Protocol):
    """Records one installation's events (the intake), in the caller's transaction."""

    async def __call__(
        self, session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None: ...


async def record_with_intake(
    session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
) -> None:
    """The default recorder: the event intake, shared with the HTTP endpoint and its dedupe.

    An event that does not fit Fortnox's event shape is logged and skipped.
    """
    parsed: list[FortnoxChangeEvent] = []
    for event in events:
        try:
            parsed.append(FortnoxChangeEvent.model_validate(event))
        except ValueError:
            log.warning(
                "skipping a malformed stream event (topic %r, offset %r)",
                event.get("topic"),
                event.get("offset"),
            )
    if parsed:
        await record_fortnox_events(session, tenant, parsed)


class TokenSource(Protocol):
    async def access_token(self, installation_id: uuid.UUID) -> str: ...


async def active_installations(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[StreamTenant]:
    """Active installations that have Fortnox tokens."""
    async with session_factory() as session:
        rows = await session.execute(
            select(Installation.id, Installation.fortnox_tenant_id)
            .join(FortnoxCredentials, FortnoxCredentials.installation_id == Installation.id)
            .where(Installation.status == InstallationStatus.ACTIVE)
            .order_by(Installation.created_at)
        )
        return [StreamTenant(row.id, row.fortnox_tenant_id) for row in rows]


async def load_offsets(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.scalars(select(StreamOffset))
        return {row.topic: row.offset for row in rows}


async def save_offsets(session: AsyncSession, offsets: Mapping[str, str]) -> None:
    """Store the topics' offsets in the caller's transaction."""
    for topic, offset in sorted(offsets.items()):
        row = await session.get(StreamOffset, topic)
        if row is None:
            session.add(StreamOffset(topic=topic, offset=offset, updated_at=utcnow()))
        else:
            row.offset = offset
            row.updated_at = utcnow()
