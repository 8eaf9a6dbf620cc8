"""What the Upsales catch-up reads from and writes to the database.

Checkpoints live in ``reconcile_checkpoints`` beside the Fortnox topics', under the topics
:data:`ORDERS_TOPIC` and :data:`ACCOUNTS_TOPIC`; ``checked_until`` is the start (our clock) of
the last run that listed that topic to the end. Found changes go through the intake's
:func:`~upsales_fortnox.intake.repository.record.record_events`, the same writer and dedupe as
hooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, cast

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.domain.catchup import OrderLinks, Version, utc
from upsales_fortnox.intake.deliveries import EventsOf, NewEvent
from upsales_fortnox.intake.repository.record import record_events
from upsales_fortnox.links.repository import LinkView
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint, SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import EventSource, FortnoxType, JobKind, LinkEntity

ORDERS_TOPIC: Final = "upsales:orders"
ACCOUNTS_TOPIC: Final = "upsales:accounts"
TOPICS: Final = (ORDERS_TOPIC, ACCOUNTS_TOPIC)
FALLBACK_LOOKBACK: Final = timedelta(days=1)
"""How far back the first run of an installation without a checkpoint (activated before
checkpoints were seeded at activation) may reach to its initial sync."""

_CHECKPOINTS = cast(Table, ReconcileCheckpoint.__table__)
_LINKS = cast(Table, Link.__table__)
_MOMENT: TypeAdapter[datetime] = TypeAdapter(datetime)


# --- checkpoints ------------------------------------------------------------------------------


async def load_checkpoints(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> dict[str, datetime]:
    async with session_factory() as session:
        rows = await session.execute(
            select(ReconcileCheckpoint.topic, ReconcileCheckpoint.checked_until).where(
                ReconcileCheckpoint.installation_id == installation_id,
                ReconcileCheckpoint.topic.in_(TOPICS),
            )
        )
        return {row.topic: row.checked_until for row in rows}


async def seed_checkpoints(session: AsyncSession, installation_id: uuid.UUID, at: datetime) -> None:
    """Start the catch-up of an installation at ``at`` (its activation), unless it has a
    checkpoint already (a second login keeps it). In the caller's transaction."""
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(_CHECKPOINTS)
        .values(
            [
                {
                    "installation_id": installation_id,
                    "topic": topic,
                    "checked_until": at,
                    "updated_at": at,
                }
                for topic in TOPICS
            ]
        )
        .on_conflict_do_nothing(index_elements=["installation_id", "topic"])
    )
    await connection.execute(statement)


async def save_checkpoint(
    session: AsyncSession, installation_id: uuid.UUID, topic: str, until: datetime
) -> None:
    row = await session.get(ReconcileCheckpoint, (installation_id, topic))
    if row is None:
        session.add(
            ReconcileCheckpoint(
                installation_id=installation_id, topic=topic, checked_until=until, updated_at=until
            )
        )
    else:
        row.checked_until = until


async def first_run_start(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID, now: datetime
) -> datetime:
    """Where an installation without a checkpoint starts: its first initial sync, but no
    further back than :data:`FALLBACK_LOOKBACK`; without one, now."""
    async with session_factory() as session:
        started = await session.scalar(
            select(func.min(SyncJob.created_at)).where(
                SyncJob.installation_id == installation_id, SyncJob.kind == JobKind.INITIAL_SYNC
            )
        )
    if started is None:
        return now
    return min(now, max(utc(started), now - FALLBACK_LOOKBACK))


# --- links ------------------------------------------------------------------------------------


def _view(row: Any) -> LinkView:
    return LinkView(
        entity=LinkEntity(row.entity),
        upsales_id=row.upsales_id,
        fortnox_type=FortnoxType(row.fortnox_type),
        fortnox_id=row.fortnox_id,
        fingerprint=row.fingerprint,
        synced_fields=dict(row.synced_fields) if row.synced_fields is not None else None,
    )


def _of(entity: LinkEntity, ids: Collection[int], fortnox_type: FortnoxType | None = None) -> Any:
    condition = and_(_LINKS.c.entity == entity.value, _LINKS.c.upsales_id.in_(sorted(ids)))
    if fortnox_type is not None:
        condition = and_(condition, _LINKS.c.fortnox_type == fortnox_type.value)
    return condition


async def order_links(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    order_ids: Collection[int],
    company_ids: Collection[int],
    product_ids: Collection[int],
) -> OrderLinks:
    """The links of a page of orders, their companies and products, in one query."""
    parts = [_of(LinkEntity.ORDER, order_ids)]
    if company_ids:
        parts.append(_of(LinkEntity.COMPANY, company_ids, FortnoxType.CUSTOMER))
    if product_ids:
        parts.append(_of(LinkEntity.PRODUCT, product_ids, FortnoxType.ARTICLE))
    async with session_factory() as session:
        rows = await session.execute(
            select(_LINKS).where(_LINKS.c.installation_id == installation_id, or_(*parts))
        )
        views = [_view(row) for row in rows]
    return OrderLinks(
        orders={v.upsales_id: v for v in views if v.entity is LinkEntity.ORDER},
        companies={v.upsales_id: v for v in views if v.entity is LinkEntity.COMPANY},
        articles={v.upsales_id: v.fortnox_id for v in views if v.entity is LinkEntity.PRODUCT},
    )


async def company_links(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    company_ids: Collection[int],
) -> dict[int, LinkView]:
    async with session_factory() as session:
        rows = await session.execute(
            select(_LINKS).where(
                _LINKS.c.installation_id == installation_id,
                _of(LinkEntity.COMPANY, company_ids, FortnoxType.CUSTOMER),
            )
        )
        return {view.upsales_id: view for view in map(_view, rows)}


# --- hooks and intake -------------------------------------------------------------------------

_HOOKED_MOD_DATE = InboundEvent.payload[("data", "object", "modDate")].as_string()


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return utc(_MOMENT.validate_python(text))
    except ValidationError:
        return None


async def hooked_versions(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    entity: LinkEntity,
    ids: Collection[int],
    received_since: datetime,
) -> set[Version]:
    """The versions of these entities that recorded hooks carried (their ``data.object``'s
    ``modDate``; a hook without one matches nothing)."""
    if not ids:
        return set()
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
        found: set[Version] = set()
        for entity_id, text in rows:
            moment = _moment(text)
            if moment is not None and entity_id is not None and entity_id.isdigit():
                found.add((int(entity_id), moment))
        return found


async def record_found(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    events: Sequence[NewEvent],
) -> int:
    """Record the events and queue their jobs (one transaction); how many were new."""
    if not events:
        return 0
    async with session_factory() as session:
        (results,) = await record_events(
            await session.connection(), [EventsOf(installation_id, events)]
        )
        await session.commit()
    return sum(result.status == "accepted" for result in results)
