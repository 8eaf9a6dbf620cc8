"""Enqueueing coalesces per entity while a job is still queued."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.models import Installation, JobStatus, SyncJob
from upsales_fortnox.jobs.queue import enqueue


async def _installation(session_factory: async_sessionmaker[AsyncSession]) -> Installation:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.commit()
        return installation


async def test_second_enqueue_for_a_queued_entity_coalesces(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    async with session_factory() as session:
        first = await enqueue(
            session, installation_id=installation.id, kind="upsales.order", entity_id="7"
        )
        second = await enqueue(
            session, installation_id=installation.id, kind="upsales.order", entity_id="7"
        )
        other = await enqueue(
            session, installation_id=installation.id, kind="upsales.order", entity_id="8"
        )
        await session.commit()
    assert first.created and not second.created and other.created
    assert second.job_id == first.job_id != other.job_id


async def test_enqueue_after_the_job_started_creates_a_new_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    async with session_factory() as session:
        first = await enqueue(
            session, installation_id=installation.id, kind="fortnox.customer", entity_id="42"
        )
        await session.execute(
            update(SyncJob).where(SyncJob.id == first.job_id).values(status=JobStatus.RUNNING)
        )
        again = await enqueue(
            session, installation_id=installation.id, kind="fortnox.customer", entity_id="42"
        )
        await session.commit()
        count = await session.scalar(select(func.count()).select_from(SyncJob))
    assert again.created and again.job_id != first.job_id
    assert count == 2


async def test_jobs_without_entity_never_coalesce(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    async with session_factory() as session:
        first = await enqueue(
            session, installation_id=installation.id, kind="initial_sync", entity_id=None
        )
        second = await enqueue(
            session, installation_id=installation.id, kind="initial_sync", entity_id=None
        )
        await session.commit()
    assert first.created and second.created and first.job_id != second.job_id
