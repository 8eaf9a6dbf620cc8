"""Recording events: store the inbound event and queue its job, inside the caller's transaction.

These functions never commit: the caller commits once, and only then acknowledges the sender.
The webhook endpoints (through :class:`~.group_commit.IntakeWriter`, which records the events
of many requests in one transaction), the Fortnox WebSocket consumer and the reconciler all feed
events through :func:`record_events`, so they share one dedupe: an event whose dedupe key is
already stored for the installation is a duplicate and creates nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Table, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.errors import TenantMismatchError
from upsales_fortnox.intake.fortnox_events import classify
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    UpsalesChange,
    fortnox_dedupe_key,
)
from upsales_fortnox.intake.wire import FortnoxChangeEvent
from upsales_fortnox.jobs.store.enqueue import EntityJob, enqueue_many
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.vocabulary import EventSource

IntakeStatus = Literal["accepted", "recorded", "duplicate", "ignored"]
"""``accepted``: stored, its job queued; ``recorded``: stored, no job (an event type we do not
use); ``duplicate``: stored before; ``ignored``: not stored (nothing we follow)."""


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
class NewEvent:
    """An event to store, and the job that syncs its entity (``job_kind`` ``None``: no job)."""

    source: str
    dedupe_key: str
    event_type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    job_kind: str | None
    #: ``payload`` as JSON text, when the parser made it already.
    payload_json: str | None = None


@dataclass(frozen=True)
class EventsOf:
    """The events of one delivery to one installation; ``None`` marks an ignored event (its
    result is ``ignored`` and nothing is written for it)."""

    installation_id: uuid.UUID
    events: Sequence[NewEvent | None]


def upsales_new_event(parsed: UpsalesChange) -> NewEvent:
    return NewEvent(
        source=EventSource.UPSALES.value,
        dedupe_key=parsed.dedupe_key,
        event_type=parsed.event_type,
        entity_type=parsed.entity,
        entity_id=str(parsed.entity_id),
        payload=parsed.payload,
        job_kind=parsed.job_kind,
        payload_json=parsed.payload_json,
    )


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


def fortnox_new_events(
    installation: IntakeInstallation, events: Sequence[FortnoxChangeEvent]
) -> list[NewEvent | None]:
    """The events to store, in input order (``None`` for a topic we do not follow), each with
    the job its type calls for (:func:`~.fortnox_events.classify`). All events are checked
    first: one of another tenant refuses the lot."""
    check_tenant(installation, events)
    new_events: list[NewEvent | None] = []
    for wire in events:
        use = classify(wire.topic, wire.type)
        if use is None or wire.entity_id is None:
            new_events.append(None)
            continue
        new_events.append(
            NewEvent(
                source=EventSource.FORTNOX.value,
                dedupe_key=fortnox_dedupe_key(wire),
                event_type=wire.type,
                entity_type=use.entity,
                entity_id=wire.entity_id,
                payload=wire.model_dump(mode="json", by_alias=True),
                job_kind=use.job_kind,
            )
        )
    return new_events


async def record_upsales_event(
    session: AsyncSession,
    installation: IntakeInstallation,
    parsed: UpsalesChange | IgnoredEvent,
) -> IntakeResult:
    """Store one Upsales event and queue its job; an ignored event touches nothing."""
    if isinstance(parsed, IgnoredEvent):
        return IGNORED
    delivery = EventsOf(installation.id, [upsales_new_event(parsed)])
    ((result,),) = await record_events(await session.connection(), [delivery])
    return result


async def record_fortnox_events(
    session: AsyncSession,
    installation: IntakeInstallation,
    events: Sequence[FortnoxChangeEvent],
) -> list[IntakeResult]:
    """Store Fortnox change events and queue their jobs; results follow the input order.

    All events are checked before anything is written: one of another tenant refuses the lot.
    """
    new_events = fortnox_new_events(installation, events)
    if not any(new_events):
        return [IGNORED] * len(events)
    (results,) = await record_events(
        await session.connection(), [EventsOf(installation.id, new_events)]
    )
    return results


EventKey = tuple[uuid.UUID, str, str]
"""What dedupes an event: installation, source, dedupe key."""


class EventPlan:
    """The events of a batch of deliveries, deduplicated: each key once, in key order (the order
    rows are written in, so concurrent writers cannot deadlock), and where each result goes."""

    def __init__(self, deliveries: Sequence[EventsOf]) -> None:
        self._sizes = [len(delivery.events) for delivery in deliveries]
        self._first: dict[EventKey, tuple[int, int, NewEvent]] = {}
        self._repeats: list[tuple[int, int, EventKey]] = []
        for index, delivery in enumerate(deliveries):
            for position, event in enumerate(delivery.events):
                if event is None:
                    continue
                key = (delivery.installation_id, event.source, event.dedupe_key)
                if key in self._first:
                    self._repeats.append((index, position, key))
                else:
                    self._first[key] = (index, position, event)
        self.events: list[tuple[EventKey, NewEvent]] = [
            (key, self._first[key][2]) for key in sorted(self._first)
        ]

    def results(
        self, accepted: dict[EventKey, IntakeResult], stored: dict[EventKey, IntakeResult]
    ) -> list[list[IntakeResult]]:
        """Per delivery and event: ``accepted`` for keys written now, ``stored`` for keys found
        stored already (a key in neither was deleted in between: a duplicate without a job);
        a repeat within the batch is a duplicate of its first occurrence."""
        results = [[IGNORED] * size for size in self._sizes]
        for key, (index, position, _) in self._first.items():
            results[index][position] = accepted.get(key) or stored.get(
                key, IntakeResult("duplicate")
            )
        for index, position, key in self._repeats:
            first_index, first_position, _ = self._first[key]
            first = results[first_index][first_position]
            results[index][position] = IntakeResult(
                "duplicate", job_id=first.job_id, event_id=first.event_id
            )
        return results


def entity_job(key: EventKey, event: NewEvent) -> EntityJob:
    if event.job_kind is None:
        raise ValueError("an event without a job kind queues no job")
    return EntityJob(key[0], event.job_kind, event.entity_id)


def needs_no_job(deliveries: Sequence[EventsOf]) -> bool:
    """Whether some event of ``deliveries`` is stored without a job."""
    return any(
        event is not None and event.job_kind is None
        for delivery in deliveries
        for event in delivery.events
    )


async def record_events(
    connection: AsyncConnection, deliveries: Sequence[EventsOf]
) -> list[list[IntakeResult]]:
    """Store the events of many deliveries and queue their jobs, in a fixed number of statements;
    one result per event, in input order. Does not commit.

    An event whose key is stored already, or that repeats an earlier event of this call, is a
    ``duplicate`` and writes nothing; its result names the first delivery's event and job. New
    events of one entity share its queued job
    (:func:`~upsales_fortnox.jobs.store.enqueue.enqueue_many`).

    Jobs are queued first, then the events are inserted with their job already set. Every writer
    takes its locks in that order (jobs, then events, each in key order), so concurrent writers
    cannot deadlock. An event that another transaction stored while ours waited for it turns out
    a duplicate after its job was queued: a job queued for it alone is removed again.
    """
    plan = EventPlan(deliveries)
    if not plan.events:
        return plan.results({}, {})
    stored = await _stored_events(connection, [key for key, _ in plan.events])
    fresh = [(key, event) for key, event in plan.events if key not in stored]
    if not fresh:
        return plan.results({}, stored)
    with_job = [(key, event) for key, event in fresh if event.job_kind is not None]
    enqueued = (
        await enqueue_many(connection, [entity_job(key, event) for key, event in with_job])
        if with_job
        else []
    )
    job_of = {key: job.job_id for (key, _), job in zip(with_job, enqueued, strict=True)}
    job_ids = [job_of.get(key) for key, _ in fresh]
    new_ids = await _insert_events(connection, fresh, job_ids)
    raced = [key for key, _ in fresh if key not in new_ids]
    if raced:
        stored.update(await _stored_events(connection, raced))
        used = {job_id for (key, _), job_id in zip(fresh, job_ids, strict=True) if key in new_ids}
        unused = {job.job_id for job in enqueued if job.created and job.job_id not in used}
        if unused:
            await connection.execute(_DELETE_JOBS, {"ids": sorted(unused)})
    accepted = {
        key: IntakeResult(
            "accepted" if job_id is not None else "recorded", job_id=job_id, event_id=new_ids[key]
        )
        for (key, _), job_id in zip(fresh, job_ids, strict=True)
        if key in new_ids
    }
    return plan.results(accepted, stored)


_EVENTS = cast(Table, InboundEvent.__table__)
_JOBS = cast(Table, SyncJob.__table__)
_KEY_COLUMNS = (_EVENTS.c.installation_id, _EVENTS.c.source, _EVENTS.c.dedupe_key)


def _insert_events_statement(insert: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING``, built once per dialect (the intake is a
    hot path: a statement built per call costs more CPU than running it). Run with a list of
    rows, SQLAlchemy sends them as one multi-row insert."""
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
            "job_id",
        )
    }
    return (
        insert(_EVENTS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[column.name for column in _KEY_COLUMNS])
        .returning(_EVENTS.c.id, *_KEY_COLUMNS)
    )


_INSERT_EVENTS = {
    "postgresql": _insert_events_statement(postgresql.insert),
    "sqlite": _insert_events_statement(sqlite.insert),
}
_FIND_EVENTS = select(_EVENTS.c.id, _EVENTS.c.job_id, *_KEY_COLUMNS).where(
    tuple_(*_KEY_COLUMNS).in_(bindparam("keys", expanding=True))
)
_DELETE_JOBS = delete(_JOBS).where(_JOBS.c.id.in_(bindparam("ids", expanding=True)))


async def _insert_events(
    connection: AsyncConnection,
    events: Sequence[tuple[EventKey, NewEvent]],
    job_ids: Sequence[int | None],
) -> dict[EventKey, int]:
    """Insert the events (with their jobs) unless their keys are stored; the new ids by key."""
    received_at = utcnow()
    rows = [
        {
            "installation_id": key[0],
            "source": event.source,
            "dedupe_key": event.dedupe_key,
            "event_type": event.event_type,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "payload": event.payload,
            "received_at": received_at,
            "job_id": job_id,
        }
        for (key, event), job_id in zip(events, job_ids, strict=True)
    ]
    inserted = await connection.execute(_INSERT_EVENTS[connection.dialect.name], rows)
    return {(row.installation_id, row.source, row.dedupe_key): row.id for row in inserted}


async def _stored_events(
    connection: AsyncConnection, keys: Sequence[EventKey]
) -> dict[EventKey, IntakeResult]:
    rows = await connection.execute(_FIND_EVENTS, {"keys": list(keys)})
    return {
        (row.installation_id, row.source, row.dedupe_key): IntakeResult(
            "duplicate", job_id=row.job_id, event_id=row.id
        )
        for row in rows
    }
