"""Putting jobs on the queue, inside the caller's transaction.

A job is queued at most once per (installation, kind, entity): a second request while the first
is still queued coalesces into it (a partial unique index guards this on both SQLite and
PostgreSQL, so concurrent webhooks cannot create two). A change that coalesces into a job waiting
out the backoff of failed attempts restarts it (:func:`enqueue_many`): due now, with attempts of
its own, instead of inheriting an older failure's wait and count. :func:`enqueue` queues one job;
:func:`enqueue_many` queues many with the same rule in a few statements (the webhook intake's
PostgreSQL fast path queues them with :mod:`.driver_enqueue`); :func:`queue_rest` queues the rest
of a long job's work as a job of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

DEFAULT_MAX_ATTEMPTS = 8
_QUEUED_ONLY = text("status = 'queued'")


_JOBS = cast(Table, SyncJob.__table__)
_COLUMNS = (
    "installation_id", "kind", "entity_id", "status", "attempts", "max_attempts",
    "run_after", "payload", "created_at", "updated_at",
)  # fmt: skip


def _insert_job_statement(insert: Any, *returning: Any) -> Any:
    """Built once per dialect: building the statement costs more CPU than running it."""
    return (
        insert(_JOBS)
        .values({name: bindparam(name, type_=_JOBS.c[name].type) for name in _COLUMNS})
        .on_conflict_do_nothing(
            index_elements=["installation_id", "kind", "entity_id"], index_where=_QUEUED_ONLY
        )
        .returning(*returning)
    )


_INSERT_JOB = {
    "postgresql": _insert_job_statement(postgresql.insert, _JOBS.c.id),
    "sqlite": _insert_job_statement(sqlite.insert, _JOBS.c.id),
}
_ENTITY_KEY = (_JOBS.c.installation_id, _JOBS.c.kind, _JOBS.c.entity_id)
_INSERT_JOBS_RETURNING_KEYS = {
    "postgresql": _insert_job_statement(postgresql.insert, _JOBS.c.id, *_ENTITY_KEY),
    "sqlite": _insert_job_statement(sqlite.insert, _JOBS.c.id, *_ENTITY_KEY),
}
_FIND_QUEUED_OF_ENTITIES = select(_JOBS.c.id, *_ENTITY_KEY).where(
    _JOBS.c.status == JobStatus.QUEUED.value,
    tuple_(*_ENTITY_KEY).in_(bindparam("keys", expanding=True)),
)
_QUEUED_OF_KIND = (
    _JOBS.c.installation_id == bindparam("installation_id", type_=_JOBS.c.installation_id.type),
    _JOBS.c.kind == bindparam("kind"),
    _JOBS.c.status == JobStatus.QUEUED.value,
)
_FIND_QUEUED = select(_JOBS.c.id).where(
    *_QUEUED_OF_KIND, _JOBS.c.entity_id == bindparam("entity_id")
)
_FIND_QUEUED_WITHOUT_ENTITY = select(_JOBS.c.id).where(
    *_QUEUED_OF_KIND, _JOBS.c.entity_id.is_(None)
)
_NOW = bindparam("now", type_=_JOBS.c.run_after.type)
# Rows another transaction holds (a worker claiming the job, another intake restarting it) are
# skipped rather than waited for: no lock wait, so no lock order to keep with other writers.
_RESTART_IN_BACKOFF = (
    update(_JOBS)
    .where(
        _JOBS.c.id.in_(
            select(_JOBS.c.id)
            .where(
                _JOBS.c.id.in_(bindparam("ids", expanding=True)),
                _JOBS.c.status == JobStatus.QUEUED.value,
                _JOBS.c.attempts > 0,
            )
            .with_for_update(skip_locked=True)
        )
    )
    .values(
        attempts=0,
        run_after=case((_JOBS.c.run_after > _NOW, _NOW), else_=_JOBS.c.run_after),
        updated_at=_NOW,
    )
)
_DELETE_JOBS = delete(_JOBS).where(_JOBS.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Enqueued:
    job_id: int
    created: bool


async def enqueue(
    session: AsyncSession,
    *,
    installation_id: uuid.UUID,
    kind: str,
    entity_id: str | None,
    payload: dict[str, Any] | None = None,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Enqueued:
    """Queue a job, or return the queued one for the same entity. Does not commit.

    Jobs without an ``entity_id`` (such as an initial sync) never coalesce.
    """
    now = utcnow()
    values = {
        "installation_id": installation_id,
        "kind": kind,
        "entity_id": entity_id,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "payload": payload or {},
        "created_at": now,
        "updated_at": now,
    }
    statement = _INSERT_JOB[session.get_bind().dialect.name]
    created_id = (await session.execute(statement, values)).scalar_one_or_none()
    if created_id is not None:
        return Enqueued(job_id=created_id, created=True)
    existing_id = await session.scalar(
        _FIND_QUEUED if entity_id is not None else _FIND_QUEUED_WITHOUT_ENTITY,
        {"installation_id": installation_id, "kind": kind, "entity_id": entity_id},
    )
    if existing_id is None:  # the queued job was claimed between our two statements
        return await enqueue(
            session,
            installation_id=installation_id,
            kind=kind,
            entity_id=entity_id,
            payload=payload,
            run_after=run_after,
            max_attempts=max_attempts,
        )
    return Enqueued(job_id=existing_id, created=False)


@dataclass(frozen=True, order=True)
class EntityJob:
    """A job that syncs one entity; the key it coalesces on while queued."""

    installation_id: uuid.UUID
    kind: str
    entity_id: str


async def enqueue_many(connection: AsyncConnection, jobs: Sequence[EntityJob]) -> list[Enqueued]:
    """Queue a job per entity, or return the one already queued; results follow the input order.

    The same rule as :func:`enqueue` in a few statements: one multi-row insert that skips the
    entities with a queued job, one query for those jobs. Equal requests share one job (only the
    first is ``created``). A queued job found waiting out the backoff of failed attempts is
    restarted: the request is a new change, due now with attempts of its own. Rows are
    inserted in key order, so two callers cannot deadlock on each other's jobs. Does not commit.
    """
    found: dict[EntityJob, Enqueued] = {}
    remaining = sorted(set(jobs))
    dialect = connection.dialect.name
    while remaining:
        now = utcnow()
        rows = [_job_values(job, now) for job in remaining]
        for row in await connection.execute(_INSERT_JOBS_RETURNING_KEYS[dialect], rows):
            found[EntityJob(row.installation_id, row.kind, row.entity_id)] = Enqueued(
                job_id=row.id, created=True
            )
        unqueued = [job for job in remaining if job not in found]
        if unqueued:
            keys = [(job.installation_id, job.kind, job.entity_id) for job in unqueued]
            for row in await connection.execute(_FIND_QUEUED_OF_ENTITIES, {"keys": keys}):
                found[EntityJob(row.installation_id, row.kind, row.entity_id)] = Enqueued(
                    job_id=row.id, created=False
                )
        # a queued job claimed between the two statements leaves its entity without one: again
        remaining = [job for job in unqueued if job not in found]
    joined = [enqueued.job_id for enqueued in found.values() if not enqueued.created]
    if joined:
        await connection.execute(_RESTART_IN_BACKOFF, {"ids": joined, "now": utcnow()})
    results: list[Enqueued] = []
    seen: set[EntityJob] = set()
    for job in jobs:
        enqueued = found[job]
        results.append(enqueued if job not in seen else Enqueued(enqueued.job_id, created=False))
        seen.add(job)
    return results


async def queue_rest(
    connection: AsyncConnection,
    *,
    installation_id: uuid.UUID,
    kind: str,
    entity_id: str,
    payload: dict[str, Any],
) -> Enqueued:
    """Queue the rest of a job's work: a job of its kind and entity with ``payload`` (where the
    rest starts), due now. A job of the entity queued meanwhile (a new request, made while the
    work went on) takes it over instead: its payload becomes ``payload``, so one job stays
    queued and it goes on from there, its handler judging whether the request asks for more
    (it is queued behind nothing new: its own place in the queue is kept). Does not commit."""
    job = EntityJob(installation_id, kind, entity_id)
    while True:
        now = utcnow()
        statement = _INSERT_JOB[connection.dialect.name]
        values = _job_values(job, now, payload)
        created_id = (await connection.execute(statement, values)).scalar_one_or_none()
        if created_id is not None:
            return Enqueued(job_id=created_id, created=True)
        taken_over = (
            await connection.execute(
                update(_JOBS)
                .where(
                    _JOBS.c.installation_id == installation_id,
                    _JOBS.c.kind == kind,
                    _JOBS.c.entity_id == entity_id,
                    _JOBS.c.status == JobStatus.QUEUED.value,
                )
                .values(payload=payload, updated_at=now)
                .returning(_JOBS.c.id)
            )
        ).scalar_one_or_none()
        if taken_over is not None:  # else it was claimed between our two statements: again
            return Enqueued(job_id=taken_over, created=False)


def rest_queuing(
    *, installation_id: uuid.UUID, kind: str, entity_id: str, payload: dict[str, Any]
) -> Callable[[AsyncConnection], Awaitable[None]]:
    """:func:`queue_rest` as a write saved with a job's completion."""

    async def write(connection: AsyncConnection) -> None:
        await queue_rest(
            connection,
            installation_id=installation_id,
            kind=kind,
            entity_id=entity_id,
            payload=payload,
        )

    return write


def _job_values(
    job: EntityJob, now: datetime, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "installation_id": job.installation_id,
        "kind": job.kind,
        "entity_id": job.entity_id,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": DEFAULT_MAX_ATTEMPTS,
        "run_after": now,
        "payload": payload or {},
        "created_at": now,
        "updated_at": now,
    }


async def withdraw_jobs(connection: AsyncConnection, job_ids: Sequence[int]) -> None:
    """Delete jobs just queued by :func:`enqueue_many` that have nothing to do after all (the
    intake's events they were for turned out stored by another transaction). Does not commit."""
    await connection.execute(_DELETE_JOBS, {"ids": list(job_ids)})
