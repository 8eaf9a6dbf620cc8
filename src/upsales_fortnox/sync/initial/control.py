"""Starting the initial sync job and reading its progress (the shell behind the API and CLI).

One initial sync per installation at a time: a second start while one is queued or running is
refused (409 ``initial_sync_running``), as is a start for an installation that is not active
(409 ``installation_not_active``) or has no settings yet (409 ``installation_not_configured``, the
preview too).
Functions take the caller's session and do not commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.logging_setup import redact
from upsales_fortnox.domain.initial_progress import SyncProgress, phase_report
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.jobs.results import MergedInto, ResultShapeError
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.repository.sync_job_reads import (
    job_by_id,
    latest_initial_sync,
    unfinished_initial_sync,
)
from upsales_fortnox.vocabulary import InstallationStatus, JobKind, JobStatus

INITIAL_SYNC_ENTITY: Final = "all"
"""The job's entity id: one queued initial sync per installation (the queue's unique index)."""
INITIAL_SYNC_MAX_ATTEMPTS: Final = 25
"""A long import meets more temporary failures than one entity; each retry resumes."""


class InitialSyncRefused(Exception):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Started:
    job_id: int
    created: bool
    """False when an unfinished initial sync was found (only with ``attach``)."""


async def _installation(session: DbSession, installation_id: uuid.UUID) -> Installation:
    installation = await find_installation(session, installation_id)
    if installation is None:
        raise InitialSyncRefused(
            404, "installation_not_found", f"installation {installation_id} does not exist"
        )
    return installation


async def start_initial_sync(
    session: DbSession, installation_id: uuid.UUID, *, attach: bool = False
) -> Started:
    """Queue the installation's initial sync. With ``attach``, an unfinished one is returned
    instead of refused."""
    installation = await _installation(session, installation_id)
    running = await unfinished_initial_sync(session, installation_id)
    if running is not None:
        if attach:
            return Started(running.id, created=False)
        raise InitialSyncRefused(
            409,
            "initial_sync_running",
            f"the initial sync (job {running.id}) is still {running.status}",
        )
    if installation.status != InstallationStatus.ACTIVE:
        raise InitialSyncRefused(
            409,
            "installation_not_active",
            f"the installation is {installation.status}; it must be active (logged in to "
            "Fortnox) to import",
        )
    await require_settings(session, installation_id)
    queued = await enqueue(
        session,
        installation_id=installation_id,
        kind=JobKind.INITIAL_SYNC,
        entity_id=INITIAL_SYNC_ENTITY,
        max_attempts=INITIAL_SYNC_MAX_ATTEMPTS,
    )
    if not queued.created:  # a concurrent start won
        raise InitialSyncRefused(
            409, "initial_sync_running", f"the initial sync (job {queued.job_id}) is queued"
        )
    return Started(queued.job_id, created=True)


async def require_settings(session: DbSession, installation_id: uuid.UUID) -> None:
    """Refuse (409 ``installation_not_configured``) an import, or its preview, before the
    installation's settings are chosen: which documents are imported and how products are
    priced depend on them."""
    if (await load_settings(session, installation_id)).row is None:
        raise InitialSyncRefused(
            409,
            "installation_not_configured",
            "choose the installation's settings (syncType, stages, price list) first",
        )


def job_report(job: SyncJob) -> dict[str, Any]:
    """The job's status and per-phase progress, from its checkpoint (or final result)."""
    source = job.result if job.status == JobStatus.DONE and job.result else job.payload
    progress = SyncProgress.from_payload(dict(source or {}))
    report: dict[str, Any] = {
        "job_id": job.id,
        "status": job.status,
        "attempts": job.attempts,
        "last_error": redact(job.last_error) if job.last_error is not None else None,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "phases": phase_report(progress) if progress else [],
        "ambiguous": progress.ambiguous if progress else [],
        "failed": progress.failed if progress else [],
    }
    return report


async def followed_job(session: DbSession, job_id: int) -> SyncJob | None:
    """Initial sync job ``job_id``, or the one it was merged into: a dead import retried while
    this one was queued takes it over (this one ends at once, naming it), and runs instead."""
    job = await job_by_id(session, job_id)
    followed: set[int] = set()
    while job is not None and job.status == JobStatus.DONE and job.id not in followed:
        followed.add(job.id)
        try:
            merged = MergedInto.from_json(job.result or {})
        except ResultShapeError:  # it ran to its end itself
            break
        job = await job_by_id(session, merged.job_id)
    return job


async def initial_sync_status(
    session: DbSession, installation_id: uuid.UUID
) -> dict[str, Any] | None:
    await _installation(session, installation_id)
    job = await latest_initial_sync(session, installation_id)
    return job_report(job) if job is not None else None
