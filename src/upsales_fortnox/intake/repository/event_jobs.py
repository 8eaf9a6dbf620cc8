"""Which job an inbound event waits for, changed when the queue merges that job into another.

Apart from the rest of the intake's repository, and importing nothing of the queue: the queue's
store calls it while it merges jobs
(:func:`~upsales_fortnox.jobs.store.requeue.absorb_queued_duplicate`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.models.job import InboundEvent


async def move_events_to_job(session: AsyncSession, from_job_id: int, to_job_id: int) -> None:
    """Point the events of job ``from_job_id`` to job ``to_job_id``, in the caller's
    transaction."""
    await session.execute(
        update(InboundEvent).where(InboundEvent.job_id == from_job_id).values(job_id=to_job_id)
    )


async def move_events_to_jobs(session: AsyncSession, moves: Mapping[int, int]) -> None:
    """Point the events of each job of ``moves`` to the job it maps to, in one statement."""
    if not moves:
        return
    await session.execute(
        update(InboundEvent)
        .where(InboundEvent.job_id.in_(moves))
        .values(job_id=case(dict(moves), value=InboundEvent.job_id))
        .execution_options(synchronize_session=False)
    )
