"""Operators' bulk actions: retry the dead jobs a filter picks, replay one entity's sync.

Both run inside the caller's transaction and do not commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import Enqueued, enqueue, retry_dead_job
from upsales_fortnox.jobs.results import MergedInto
from upsales_fortnox.ops.repository.queue_reads import (
    DeadJobFilter,
    count_dead_jobs,
    dead_job_ids,
    fresh_job,
)
from upsales_fortnox.vocabulary import FortnoxType, JobKind

#: Most dead jobs one bulk retry requeues; the answer says how many remain.
MAX_BULK_RETRY: Final = 1000
#: What a reason code given to pick dead jobs looks like (the code before ``:`` in a job's
#: ``last_error``): a value of another shape would pick none, so it is refused instead.
REASON_CODE_PATTERN: Final = r"^[a-z0-9_.]{1,60}$"


class ReplayKind(StrEnum):
    """The job kinds that sync one entity, by the system its id belongs to."""

    UPSALES_ORDER = JobKind.UPSALES_ORDER.value
    UPSALES_COMPANY = JobKind.UPSALES_COMPANY.value
    FORTNOX_CUSTOMER = JobKind.FORTNOX_CUSTOMER.value
    FORTNOX_ARTICLE = JobKind.FORTNOX_ARTICLE.value
    FORTNOX_ORDER = JobKind.FORTNOX_ORDER.value
    FORTNOX_INVOICE = JobKind.FORTNOX_INVOICE.value
    FORTNOX_OFFER = JobKind.FORTNOX_OFFER.value

    @property
    def takes_upsales_id(self) -> bool:
        return self.value.startswith("upsales.")

    @property
    def fortnox_type(self) -> FortnoxType | None:
        """The Fortnox entity whose id the job takes (None for an Upsales one)."""
        system, _, entity = self.value.partition(".")
        return FortnoxType(entity) if system == "fortnox" else None


@dataclass(frozen=True)
class BulkRetryResult:
    matched: int
    retried_job_ids: list[int]
    """The ids of the jobs now queued (a job merged into a queued duplicate names that one)."""


async def retry_dead_jobs(
    session: DbSession, selection: DeadJobFilter, *, limit: int = MAX_BULK_RETRY
) -> BulkRetryResult:
    """Requeue up to ``limit`` of the matching dead jobs, the oldest. Does not commit.

    They go back newest first: two of one entity leave one queued job, and a retry folds the
    job queued before it into itself, so the one left carries the later job's payload. Each
    is then named by the job now queued in its place.
    """
    matched = await count_dead_jobs(session, selection)
    job_ids = await dead_job_ids(session, selection, limit)
    now = utcnow()
    for job_id in reversed(job_ids):
        await retry_dead_job(session, job_id, now=now)
    return BulkRetryResult(
        matched=matched, retried_job_ids=[await _queued_in_place_of(session, i) for i in job_ids]
    )


async def _queued_in_place_of(session: DbSession, job_id: int) -> int:
    """The job queued for ``job_id``: itself, or the one it was folded into."""
    job = await fresh_job(session, job_id)
    result = job.result if job is not None else None
    if result and "merged_into" in result:
        return MergedInto.from_json(result).job_id
    return job_id


async def replay_entity(
    session: DbSession, installation_id: uuid.UUID, kind: ReplayKind, entity_id: str
) -> Enqueued:
    """Queue the sync of one entity by hand (or return the job already queued for it)."""
    return await enqueue(
        session,
        installation_id=installation_id,
        kind=kind.value,
        entity_id=entity_id,
        payload={"replay": True},
    )
