"""Operators' bulk actions: retry the dead jobs a filter picks, replay one entity's sync.

Both run inside the caller's transaction and do not commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import Enqueued, enqueue
from upsales_fortnox.jobs.store.dead_requeue import requeue_dead_jobs
from upsales_fortnox.ops.repository.queue_reads import (
    DeadJobFilter,
    count_dead_jobs,
    dead_job_ids,
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
    session: DbSession,
    selection: DeadJobFilter,
    *,
    limit: int = MAX_BULK_RETRY,
    now: datetime | None = None,
) -> BulkRetryResult:
    """Requeue up to ``limit`` of the matching dead jobs, the oldest, in a few statements
    however many they are. Does not commit.

    The outcome is that of retrying each (``POST /api/jobs/{id}/retry``) newest first: the
    dead jobs of one entity leave one queued job, the oldest, with the latest hint (of a job
    queued for the entity since, else of the newest of them); the others are merged into it,
    and each is named by the job now queued in its place.
    """
    matched = await count_dead_jobs(session, selection)
    job_ids = await dead_job_ids(session, selection, limit)
    queued_for = await requeue_dead_jobs(session, job_ids, now or utcnow())
    return BulkRetryResult(
        matched=matched, retried_job_ids=[queued_for[i] for i in job_ids if i in queued_for]
    )


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
