"""Recording events: store the inbound event and queue its job, inside the caller's transaction.

These functions never commit: the caller commits once, and only then acknowledges the sender.
The webhook endpoints, the Fortnox WebSocket consumer and the reconciler all feed events through
here, so they share one dedupe: an event whose dedupe key is already stored for the installation
is a duplicate and creates nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import EventSource, InboundEvent
from upsales_fortnox.db.types import utcnow
from upsales_fortnox.intake.errors import TenantMismatchError
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    UpsalesChange,
    fortnox_dedupe_key,
)
from upsales_fortnox.intake.routing import FORTNOX_ROUTES
from upsales_fortnox.intake.wire import FortnoxChangeEvent
from upsales_fortnox.jobs.queue import enqueue

IntakeStatus = Literal["accepted", "duplicate", "ignored"]


class IntakeInstallation(Protocol):
    """What recording needs of an installation (an ORM ``Installation`` will do)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def fortnox_tenant_id(self) -> str | None: ...


@dataclass(frozen=True)
class IntakeResult:
    """What became of one event. ``job_id`` is the job that will sync it (for a duplicate, the
    job of the first delivery, which may have finished since)."""

    status: IntakeStatus
    job_id: int | None = None
    event_id: int | None = None


IGNORED = IntakeResult(status="ignored")


@dataclass(frozen=True)
class _NewEvent:
    source: str
    dedupe_key: str
    event_type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    job_kind: str


async def record_upsales_event(
    session: AsyncSession,
    installation: IntakeInstallation,
    parsed: UpsalesChange | IgnoredEvent,
) -> IntakeResult:
    """Store one Upsales event and queue its job; an ignored event touches nothing."""
    if isinstance(parsed, IgnoredEvent):
        return IGNORED
    event = _NewEvent(
        source=EventSource.UPSALES.value,
        dedupe_key=parsed.dedupe_key,
        event_type=parsed.event_type,
        entity_type=parsed.entity,
        entity_id=str(parsed.entity_id),
        payload=parsed.payload,
        job_kind=parsed.job_kind,
    )
    event_id = await _insert_event(session, installation.id, event)
    if event_id is None:
        return await _duplicate(session, installation.id, event)
    job_id = await _enqueue_and_link(session, installation.id, event, event_id)
    return IntakeResult(status="accepted", job_id=job_id, event_id=event_id)


def check_tenant(installation: IntakeInstallation, events: Sequence[FortnoxChangeEvent]) -> None:
    """Refuse events of another Fortnox tenant than the installation's (when that is known)."""
    expected = installation.fortnox_tenant_id
    if expected is None:
        return
    for event in events:
        if event.tenant_id != expected:
            raise TenantMismatchError(
                f"event {event.topic}:{event.offset} belongs to another Fortnox tenant"
            )


async def record_fortnox_events(
    session: AsyncSession,
    installation: IntakeInstallation,
    events: Sequence[FortnoxChangeEvent],
) -> list[IntakeResult]:
    """Store Fortnox change events and queue their jobs; results follow the input order.

    All events are checked before anything is written: one of another tenant refuses the lot.
    Rows are written in a fixed order (events by dedupe key, then jobs by kind and entity) so two
    concurrent batches that touch the same keys cannot deadlock.
    """
    check_tenant(installation, events)
    results: list[IntakeResult] = [IGNORED] * len(events)
    pending: list[tuple[int, _NewEvent]] = []
    for index, wire in enumerate(events):
        route = FORTNOX_ROUTES.get(wire.topic)
        if route is None or wire.entity_id is None:
            continue
        pending.append(
            (
                index,
                _NewEvent(
                    source=EventSource.FORTNOX.value,
                    dedupe_key=fortnox_dedupe_key(wire),
                    event_type=wire.type,
                    entity_type=route.entity,
                    entity_id=wire.entity_id,
                    payload=wire.model_dump(mode="json", by_alias=True),
                    job_kind=route.job_kind,
                ),
            )
        )
    inserted: list[tuple[int, _NewEvent, int]] = []
    duplicates: list[int] = []
    for index, event in sorted(pending, key=lambda item: item[1].dedupe_key):
        event_id = await _insert_event(session, installation.id, event)
        if event_id is None:
            results[index] = await _duplicate(session, installation.id, event)
            duplicates.append(index)
        else:
            inserted.append((index, event, event_id))
    job_of_event: dict[int, int] = {}
    for index, event, event_id in sorted(
        inserted, key=lambda item: (item[1].job_kind, item[1].entity_id)
    ):
        job_id = await _enqueue_and_link(session, installation.id, event, event_id)
        job_of_event[event_id] = job_id
        results[index] = IntakeResult(status="accepted", job_id=job_id, event_id=event_id)
    for index in duplicates:  # a repeat of an event earlier in this same batch
        duplicate = results[index]
        if duplicate.job_id is None and duplicate.event_id in job_of_event:
            results[index] = IntakeResult(
                "duplicate", job_id=job_of_event[duplicate.event_id], event_id=duplicate.event_id
            )
    return results


_EVENTS = cast(Table, InboundEvent.__table__)
_KEY_COLUMNS = ["installation_id", "source", "dedupe_key"]


def _insert_event_statement(insert: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, built once per dialect (the intake is
    a hot path: a statement built per call costs more CPU than running it)."""
    values = {
        column: bindparam(column, type_=_EVENTS.c[column].type)
        for column in (
            "installation_id",
            "source",
            "dedupe_key",
            "event_type",
            "entity_type",
            "entity_id",
            "payload",
            "received_at",
        )
    }
    return (
        insert(_EVENTS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
        .returning(_EVENTS.c.id)
    )


_INSERT_EVENT = {
    "postgresql": _insert_event_statement(postgresql.insert),
    "sqlite": _insert_event_statement(sqlite.insert),
}
_LINK_JOB = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(job_id=bindparam("job_id", type_=_EVENTS.c.job_id.type))
)
_FIND_EVENT = select(_EVENTS.c.id, _EVENTS.c.job_id).where(
    _EVENTS.c.installation_id == bindparam("installation_id", type_=_EVENTS.c.installation_id.type),
    _EVENTS.c.source == bindparam("source"),
    _EVENTS.c.dedupe_key == bindparam("dedupe_key"),
)


async def _insert_event(
    session: AsyncSession, installation_id: uuid.UUID, event: _NewEvent
) -> int | None:
    """Insert the event unless its dedupe key is stored already; its id, or None."""
    statement = _INSERT_EVENT[session.get_bind().dialect.name]
    params = {
        "installation_id": installation_id,
        "source": event.source,
        "dedupe_key": event.dedupe_key,
        "event_type": event.event_type,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "payload": event.payload,
        "received_at": utcnow(),
    }
    event_id: int | None = (await session.execute(statement, params)).scalar_one_or_none()
    return event_id


async def _enqueue_and_link(
    session: AsyncSession, installation_id: uuid.UUID, event: _NewEvent, event_id: int
) -> int:
    enqueued = await enqueue(
        session, installation_id=installation_id, kind=event.job_kind, entity_id=event.entity_id
    )
    await session.execute(_LINK_JOB, {"event_id": event_id, "job_id": enqueued.job_id})
    return enqueued.job_id


async def _duplicate(
    session: AsyncSession, installation_id: uuid.UUID, event: _NewEvent
) -> IntakeResult:
    params = {
        "installation_id": installation_id,
        "source": event.source,
        "dedupe_key": event.dedupe_key,
    }
    row = (await session.execute(_FIND_EVENT, params)).one_or_none()
    if row is None:  # the conflicting row was deleted in between (installation removed)
        return IntakeResult(status="duplicate")
    return IntakeResult(status="duplicate", job_id=row.job_id, event_id=row.id)
