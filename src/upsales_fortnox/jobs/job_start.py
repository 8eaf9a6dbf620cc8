"""What a job's run starts with: its log fields, the line saying it started, and the context its
handler gets."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.jobs.dispatch import JobContext
from upsales_fortnox.jobs.runs import RunningJob

logger = logging.getLogger("upsales_fortnox.jobs.worker")


def announce_start(job: RunningJob) -> dict[str, Any]:
    """Log that ``job`` started; returns the fields every line of its run carries."""
    log_extra: dict[str, Any] = {
        "installation_id": str(job.installation_id),
        "job_id": job.job_id,
        "kind": job.kind,
    }
    if job.entity_id is not None:
        log_extra["entity_id"] = job.entity_id
    logger.info(
        "job %s started (kind %s, attempt %d of %d%s)",
        job.job_id,
        job.kind,
        job.attempts,
        job.max_attempts,
        ", after an expired lease" if job.recovered else "",
        extra=log_extra,
    )
    return log_extra


def handler_context(
    job: RunningJob,
    session_factory: DbSessionFactory,
    save_checkpoint: Callable[[dict[str, Any]], Awaitable[None]],
    turn_cache: dict[str, Any],
) -> JobContext:
    """The context ``job``'s handler runs with."""
    return JobContext(
        job_id=job.job_id,
        installation_id=job.installation_id,
        kind=job.kind,
        entity_id=job.entity_id,
        payload=job.payload,
        attempt=job.attempts,
        session_factory=session_factory,
        save_checkpoint=save_checkpoint,
        installation_version=job.installation_version,
        settings_version=job.settings_version,
        turn_cache=turn_cache,
    )
