"""The webhook intake's statements for PostgreSQL, run on the asyncpg connection directly.

The same rules and the same lock order as :func:`~.record.record_events` (which the rest of the
service uses, and which the intake falls back to), in fewer and cheaper statements. Measured on
the development machine: a statement run through SQLAlchemy costs about 100 µs of CPU, the same
statement on asyncpg about 25 µs. A batch here is one statement whatever its size (more only
when another writer raced it), because rows are bound as arrays (``unnest``), and each statement
text is prepared once per connection. The SQL that queues jobs is the queue store's
(:mod:`upsales_fortnox.jobs.store.driver_enqueue`), here inside the batch's statement.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.deliveries import EventKey, EventPlan, EventsOf, IntakeResult, NewEvent
from upsales_fortnox.intake.installations import WebhookInstallation
from upsales_fortnox.intake.repository.record import entity_job
from upsales_fortnox.jobs.store.driver_enqueue import (
    queue_jobs_on,
    queued_jobs_insert,
    restarted_jobs_update,
    withdraw_jobs_on,
)
from upsales_fortnox.jobs.store.enqueue import DEFAULT_MAX_ATTEMPTS, EntityJob


class Driver(Protocol):
    """What the intake uses of an ``asyncpg.Connection``."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    def transaction(self) -> Any: ...

    def is_closed(self) -> bool: ...

    def is_in_transaction(self) -> bool: ...

    def terminate(self) -> None: ...


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Driver]:
    """The asyncpg connection of a pooled connection. One left broken or inside a transaction
    by an error is dropped from the pool, not handed out again."""
    async with engine.connect() as connection:
        pooled = await connection.get_raw_connection()
        driver = cast(Driver, pooled.driver_connection)
        try:
            yield driver
        except BaseException:
            if driver.is_closed() or driver.is_in_transaction():
                await connection.invalidate()
            raise


@contextmanager
def closed_if_silent(terminate: Callable[[], None] | None, seconds: float | None) -> Iterator[None]:
    """Closes the connection (``terminate``: its driver's) if the work inside has not ended
    within ``seconds``: a connection that a firewall or NAT dropped without a word answers
    nothing for as long as the system's TCP waits (a quarter of an hour). Closed, the work
    fails at once with the connection's error and the pool does not hand it out again; a
    cancellation instead would wait for the silent connection to acknowledge it."""
    if terminate is None or seconds is None:
        yield
        return
    timer = asyncio.get_running_loop().call_later(seconds, terminate)
    try:
        yield
    finally:
        timer.cancel()


async def terminator(connection: AsyncConnection) -> Callable[[], None] | None:
    """What closes ``connection``'s driver connection at once (asyncpg's; None for SQLite's,
    which has no connection to lose)."""
    pooled = await connection.get_raw_connection()
    terminate: Callable[[], None] | None = getattr(pooled.driver_connection, "terminate", None)
    return terminate


_LOOKUP = """
SELECT id, version, status, fortnox_tenant_id, upsales_api_token_enc, webhook_secret_enc
FROM installations WHERE id = ANY($1::uuid[])
"""


async def lookup_installations(
    driver: Driver, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, WebhookInstallation]:
    rows = await driver.fetch(_LOOKUP, list(set(keys)))
    return {
        row["id"]: WebhookInstallation(
            id=row["id"],
            version=row["version"],
            status=row["status"],
            fortnox_tenant_id=row["fortnox_tenant_id"],
            upsales_api_token_enc=row["upsales_api_token_enc"],
            webhook_secret_enc=row["webhook_secret_enc"],
        )
        for row in rows
    }


# One statement for the usual batch. Looks up, per event, whether its key is stored and whether
# its entity has a queued job (as of the statement's start); queues a job for each entity of a
# new event that has none, and restarts a queued one waiting out a failure's backoff (due now,
# attempts restarted: the event is a new change; rows held by others are skipped, not waited
# for); inserts the new events with their jobs set. Jobs before events, each in key order: the
# lock order of every intake writer. Rows committed by others while this ran
# are not in its snapshot: an event inserted meanwhile is skipped (neither new nor stored), a job
# queued meanwhile leaves its events without a job; the statements that follow settle both.
#
# Written so that the plan cannot degrade with table sizes or missing statistics: the look-ups
# are LATERAL ... LIMIT 1 (always an index probe per event, never a scan of the table), and new
# events find their new job in one jsonb object built once (no join between two CTEs, which
# PostgreSQL estimates at one row each and may run as a nested loop: quadratic in the batch).
_RECORD_INPUT = """
WITH input AS (
    SELECT * FROM unnest(
        $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[]
    ) WITH ORDINALITY AS t(
        installation_id, source, dedupe_key, event_type, entity_type, entity_id, payload, kind,
        position
    )
),
checked AS (
    SELECT i.*, s.id AS stored_id, s.job_id AS stored_job_id, q.id AS queued_job_id
    FROM input i
    LEFT JOIN LATERAL (
        SELECT e.id, e.job_id FROM inbound_events e
        WHERE e.installation_id = i.installation_id AND e.source = i.source
          AND e.dedupe_key = i.dedupe_key
        LIMIT 1
    ) s ON true
    LEFT JOIN LATERAL (
        SELECT j.id FROM sync_jobs j
        WHERE j.installation_id = i.installation_id AND j.kind = i.kind
          AND j.entity_id = i.entity_id AND j.status = 'queued'
        LIMIT 1
    ) q ON true
),
new_jobs AS (
"""
_RECORD_OUTPUT = """
),
new_job_ids AS (
    SELECT coalesce(
        jsonb_object_agg(jsonb_build_array(installation_id, kind, entity_id)::text, id),
        '{}'::jsonb
    ) AS by_entity
    FROM new_jobs
),
new_events AS (
    INSERT INTO inbound_events (
        installation_id, source, dedupe_key, event_type, entity_type, entity_id, payload,
        received_at, job_id
    )
    SELECT c.installation_id, c.source, c.dedupe_key, c.event_type, c.entity_type, c.entity_id,
           c.payload::jsonb, $9::timestamptz,
           coalesce(c.queued_job_id, ((SELECT by_entity FROM new_job_ids)
               ->> jsonb_build_array(c.installation_id, c.kind, c.entity_id)::text)::bigint)
    FROM checked c
    WHERE c.stored_id IS NULL
    ORDER BY c.position
    ON CONFLICT (installation_id, source, dedupe_key) DO NOTHING
    RETURNING id, job_id, installation_id, source, dedupe_key
)
SELECT 'new_event' AS row_kind, id, job_id, installation_id,
       source::text AS first, dedupe_key::text AS second FROM new_events
UNION ALL
SELECT 'stored_event', stored_id, stored_job_id, installation_id, source, dedupe_key
FROM checked WHERE stored_id IS NOT NULL
UNION ALL
SELECT 'new_job', id, NULL, installation_id, kind::text, entity_id::text FROM new_jobs
"""
_NEW_JOBS = queued_jobs_insert(
    "checked WHERE stored_id IS NULL AND queued_job_id IS NULL",
    max_attempts="$10",
    now="$9",
    distinct=True,
)
# a data-modifying CTE runs whether read or not
_RESTARTED = restarted_jobs_update(
    "SELECT queued_job_id FROM checked WHERE stored_id IS NULL AND queued_job_id IS NOT NULL",
    now="$9",
)
_RECORD = _RECORD_INPUT + _NEW_JOBS + "\n),\nrestarted AS (\n" + _RESTARTED + _RECORD_OUTPUT
"""The batch's statement; its ``new_jobs`` and ``restarted`` are the queue store's SQL."""

# Points new events at their jobs: the one given, else the entity's queued job (read now, so
# it includes jobs committed by others while the first statement waited for them). An event
# that gets no job (that queued job was started by the worker in between) is not returned.
_LINK = """
WITH wanted AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[], $5::text[])
        AS t(event_id, job_id, installation_id, kind, entity_id)
),
chosen AS (
    SELECT w.event_id, COALESCE(w.job_id, (
        SELECT j.id FROM sync_jobs j
        WHERE j.status = 'queued' AND j.installation_id = w.installation_id
          AND j.kind = w.kind AND j.entity_id = w.entity_id
    )) AS job_id
    FROM wanted w
)
UPDATE inbound_events e SET job_id = c.job_id
FROM chosen c
WHERE e.id = c.event_id AND c.job_id IS NOT NULL
RETURNING e.id, e.job_id
"""

_FIND_EVENTS = """
SELECT e.id, e.job_id, e.installation_id, e.source, e.dedupe_key
FROM inbound_events e
JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k(installation_id, source, dedupe_key)
USING (installation_id, source, dedupe_key)
"""


async def record_events_on(
    driver: Driver, deliveries: Sequence[EventsOf]
) -> list[list[IntakeResult]]:
    """:func:`~.record.record_events` on asyncpg, inside the caller's transaction: one
    statement, more only when another writer raced us on the same rows."""
    plan = EventPlan(deliveries)
    if not plan.events:
        return plan.results({}, {})
    now = utcnow()
    rows = await driver.fetch(
        _RECORD,
        [key[0] for key, _ in plan.events],
        [event.source for _, event in plan.events],
        [event.dedupe_key for _, event in plan.events],
        [event.event_type for _, event in plan.events],
        [event.entity_type for _, event in plan.events],
        [event.entity_id for _, event in plan.events],
        [_payload_json(event) for _, event in plan.events],
        [event.job_kind for _, event in plan.events],
        now,
        DEFAULT_MAX_ATTEMPTS,
    )
    inserted: dict[EventKey, tuple[int, int | None]] = {}
    stored: dict[EventKey, IntakeResult] = {}
    created: dict[EntityJob, int] = {}
    for row in rows:
        kind, row_id = row["row_kind"], row["id"]
        if kind == "new_event":
            inserted[(row["installation_id"], row["first"], row["second"])] = (
                row_id,
                row["job_id"],
            )
        elif kind == "stored_event":
            key = (row["installation_id"], row["first"], row["second"])
            stored[key] = IntakeResult("duplicate", job_id=row["job_id"], event_id=row_id)
        else:
            created[EntityJob(row["installation_id"], row["first"], row["second"])] = row_id
    job_of_entity = {entity_job(key, event): key for key, event in plan.events if key in inserted}
    raced = [key for key, _ in plan.events if key not in inserted and key not in stored]
    if raced:  # stored by a transaction that committed while ours waited for it
        stored.update(await _stored_events(driver, raced))
        unused = [job_id for job, job_id in created.items() if job not in job_of_entity]
        if unused:  # queued for those events alone: they would sync nothing new
            await withdraw_jobs_on(driver, unused)
    unlinked = [
        (event_id, entity_job(key, event))
        for key, event in plan.events
        if key in inserted
        for event_id, job_id in [inserted[key]]
        if job_id is None
    ]
    if unlinked:  # their entity's job was queued by a transaction that committed meanwhile
        linked = await _link(driver, unlinked, {}, now)
        for key, (event_id, job_id) in list(inserted.items()):
            if job_id is None:
                inserted[key] = (event_id, linked[event_id])
    accepted = {
        key: IntakeResult("accepted", job_id=job_id, event_id=event_id)
        for key, (event_id, job_id) in inserted.items()
    }
    return plan.results(accepted, stored)


def _payload_json(event: NewEvent) -> str:
    if event.payload_json is not None:
        return event.payload_json
    return json.dumps(event.payload, ensure_ascii=False)


async def _link(
    driver: Driver,
    events: list[tuple[int, EntityJob]],
    known_jobs: dict[EntityJob, int],
    now: datetime,
) -> dict[int, int]:
    """Each new event's job id, by event id, linked in the database."""
    linked: dict[int, int] = {}
    pending = events
    while pending:
        rows = await driver.fetch(
            _LINK,
            [event_id for event_id, _ in pending],
            [known_jobs.get(job) for _, job in pending],
            [job.installation_id for _, job in pending],
            [job.kind for _, job in pending],
            [job.entity_id for _, job in pending],
        )
        linked.update((row["id"], row["job_id"]) for row in rows)
        pending = [(event_id, job) for event_id, job in pending if event_id not in linked]
        if pending:  # their entities' queued jobs were claimed meanwhile: queue new ones
            known_jobs.update(await queue_jobs_on(driver, sorted({job for _, job in pending}), now))
    return linked


async def _stored_events(driver: Driver, keys: Sequence[EventKey]) -> dict[EventKey, IntakeResult]:
    rows = await driver.fetch(
        _FIND_EVENTS,
        [key[0] for key in keys],
        [key[1] for key in keys],
        [key[2] for key in keys],
    )
    return {
        (row["installation_id"], row["source"], row["dedupe_key"]): IntakeResult(
            "duplicate", job_id=row["job_id"], event_id=row["id"]
        )
        for row in rows
    }
