"""A job's completion whose commit's answer was lost (the connection dropped after COMMIT was
sent): whether it committed after all, and the installation's next job it started.

Only this run's own completion closes its attempt ``done``, so that attempt says the save
committed. The next job it started is then running under this worker at the attempt that start
counted, its newest attempt open: the run the lost answer would have handed back, which this
worker still holds (fenced like any of its runs) and so may run at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.jobs.runs import Completed, DueJob, RunningJob, running_job_of
from upsales_fortnox.jobs.store.statements import (
    ATTEMPTS,
    INSTALLATIONS,
    JOBS,
    SETTINGS,
)
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus


async def completed_unanswered(
    engine: AsyncEngine, owner: str, job: RunningJob, then: DueJob | None
) -> Completed | None:
    """The completion of ``job`` as the database has it, when it was saved (with the start of
    ``then``, if that committed too); None when it was not."""
    async with engine.connect() as connection:  # one read-only snapshot, rolled back
        outcome = await connection.scalar(
            select(ATTEMPTS.c.outcome).where(ATTEMPTS.c.id == job.attempt_id)
        )
        if outcome != AttemptOutcome.DONE.value:
            return None
        if then is None:
            return Completed(recorded=True)
        started = (
            await connection.execute(
                select(
                    JOBS.c.kind,
                    JOBS.c.entity_id,
                    JOBS.c.payload,
                    JOBS.c.attempts,
                    JOBS.c.max_attempts,
                    INSTALLATIONS.c.version.label("installation_version"),
                    select(SETTINGS.c.version)
                    .where(SETTINGS.c.installation_id == JOBS.c.installation_id)
                    .scalar_subquery()
                    .label("settings_version"),
                    ATTEMPTS.c.id.label("attempt_id"),
                    ATTEMPTS.c.number.label("attempt_number"),
                )
                .join(INSTALLATIONS, INSTALLATIONS.c.id == JOBS.c.installation_id)
                .join(ATTEMPTS, ATTEMPTS.c.job_id == JOBS.c.id)
                .where(
                    JOBS.c.id == then.job_id,
                    JOBS.c.installation_id == job.installation_id,
                    JOBS.c.status == JobStatus.RUNNING.value,
                    JOBS.c.lease_owner == owner,
                    JOBS.c.attempts == then.attempts + 1,
                    ATTEMPTS.c.worker_id == owner,
                    ATTEMPTS.c.finished_at.is_(None),
                )
                .order_by(ATTEMPTS.c.number.desc())
                .limit(1)
            )
        ).first()
    if started is None:
        return Completed(recorded=True)
    return Completed(
        recorded=True,
        next_job=running_job_of(
            started,
            job_id=then.job_id,
            installation_id=job.installation_id,
            attempt_id=started.attempt_id,
            attempt_number=started.attempt_number,
            recovered=then.lease_expired,
        ),
    )
