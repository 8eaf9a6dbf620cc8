"""Recording events: store the inbound events and queue their jobs (through the queue's store,
:mod:`upsales_fortnox.jobs.store.enqueue`), inside the caller's transaction.

These functions never commit: the caller commits once, and only then acknowledges the sender.
The webhook endpoints (through :class:`~.group_commit.IntakeWriter`, which records the events
of many requests in one transaction), the Fortnox WebSocket consumer and the reconciler all feed
events through :func:`record_events`, so they share one dedupe: an event whose dedupe key is
already stored for the installation is a duplicate and creates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.deliveries import (
    IGNORED,
    EventKey,
    EventPlan,
    EventsOf,
    IntakeInstallation,
    IntakeResult,
    NewEvent,
    fortnox_new_events,
    upsales_new_event,
)
from upsales_fortnox.intake.parse import IgnoredEvent, UpsalesChange
from upsales_fortnox.intake.wire import FortnoxChangeEvent
from upsales_fortnox.jobs.store.enqueue import EntityJob, enqueue_many, withdraw_jobs
from upsales_fortnox.models.job import InboundEvent


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


def entity_job(key: EventKey, event: NewEvent) -> EntityJob:
    """The job that syncs the event's entity (the key it is queued under)."""
    if event.job_kind is None:
        raise ValueError("an event without a job kind queues no job")
    return EntityJob(key[0], event.job_kind, event.entity_id)


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
            await withdraw_jobs(connection, sorted(unused))
    accepted = {
        key: IntakeResult(
            "accepted" if job_id is not None else "recorded", job_id=job_id, event_id=new_ids[key]
        )
        for (key, _), job_id in zip(fresh, job_ids, strict=True)
        if key in new_ids
    }
    return plan.results(accepted, stored)


_EVENTS = cast(Table, InboundEvent.__table__)
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
