"""Queueing jobs on an asyncpg connection: the webhook intake's PostgreSQL fast path.

The same rule as :func:`~.enqueue.enqueue_many` (at most one queued job per entity, rows in key
order) as plain SQL text for asyncpg, which runs a statement for a quarter of the CPU that
SQLAlchemy takes (see :mod:`upsales_fortnox.intake.repository.postgres`). The intake records a
batch of events in one statement; :func:`queued_jobs_insert` is the part of it that queues their
jobs, so every ``sync_jobs`` row is written by SQL of this store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from upsales_fortnox.jobs.store.enqueue import DEFAULT_MAX_ATTEMPTS, EntityJob


class Fetcher(Protocol):
    """What this module uses of an ``asyncpg.Connection``."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


def queued_jobs_insert(entities: str, *, max_attempts: str, now: str, distinct: bool) -> str:
    """``INSERT INTO sync_jobs``: a queued job for each row of ``entities`` (SQL after ``FROM``
    giving ``installation_id``, ``kind``, ``entity_id``; ``distinct`` when rows may repeat)
    whose entity has none queued, in key order; returns the new jobs' ``id``,
    ``installation_id``, ``kind`` and ``entity_id``. ``max_attempts`` and ``now`` are the SQL
    of those values (such as ``$4``)."""
    select = "SELECT DISTINCT" if distinct else "SELECT"
    return f"""INSERT INTO sync_jobs (
    installation_id, kind, entity_id, status, attempts, max_attempts, run_after, payload,
    created_at, updated_at
)
{select} installation_id, kind, entity_id, 'queued', 0, {max_attempts}::integer,
       {now}::timestamptz, '{{}}'::jsonb, {now}::timestamptz, {now}::timestamptz
FROM {entities}
ORDER BY 1, 2, 3
ON CONFLICT (installation_id, kind, entity_id) WHERE status = 'queued' DO NOTHING
RETURNING id, installation_id, kind, entity_id"""


def restarted_jobs_update(job_ids: str, *, now: str) -> str:
    """``UPDATE sync_jobs``: of the jobs ``job_ids`` (SQL of a query giving job ids), those still
    queued and waiting out the backoff of failed attempts are due by ``now`` with their attempts
    restarted (:func:`~.enqueue.enqueue_many`'s rule for a new change); rows another transaction
    holds are skipped, never waited for."""
    return f"""UPDATE sync_jobs
SET attempts = 0, run_after = LEAST(run_after, {now}::timestamptz), updated_at = {now}::timestamptz
WHERE id IN (
    SELECT id FROM sync_jobs
    WHERE id IN ({job_ids}) AND status = 'queued' AND attempts > 0
    FOR UPDATE SKIP LOCKED
)"""  # noqa: S608 (SQL text of this code, never input)


_INSERT_JOBS = queued_jobs_insert(
    "unnest($1::uuid[], $2::text[], $3::text[]) AS t(installation_id, kind, entity_id)",
    max_attempts="$4",
    now="$5",
    distinct=False,
)
_DELETE_JOBS = "DELETE FROM sync_jobs WHERE id = ANY($1::bigint[])"


async def queue_jobs_on(
    driver: Fetcher, jobs: Sequence[EntityJob], now: datetime
) -> dict[EntityJob, int]:
    """Queue a job for each of ``jobs`` (distinct, in key order) whose entity has none queued,
    in the caller's transaction; the new jobs' ids (an entity with a queued job is left out)."""
    rows = await driver.fetch(
        _INSERT_JOBS,
        [job.installation_id for job in jobs],
        [job.kind for job in jobs],
        [job.entity_id for job in jobs],
        DEFAULT_MAX_ATTEMPTS,
        now,
    )
    return {
        EntityJob(row["installation_id"], row["kind"], row["entity_id"]): row["id"] for row in rows
    }


async def withdraw_jobs_on(driver: Fetcher, job_ids: Sequence[int]) -> None:
    """:func:`~.enqueue.withdraw_jobs` on asyncpg."""
    await driver.fetch(_DELETE_JOBS, list(job_ids))
