"""Enqueueing coalesces per entity while a job is still queued."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.jobs.store.enqueue import EntityJob, enqueue, enqueue_many, queue_rest
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus


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


async def test_enqueue_many_coalesces_like_enqueue_and_keeps_the_input_order(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    key = installation.id
    async with session_factory() as session:
        queued = await enqueue(session, installation_id=key, kind="upsales.order", entity_id="7")
        await session.commit()
    async with session_factory() as session:
        connection = await session.connection()
        results = await enqueue_many(
            connection,
            [
                EntityJob(key, "upsales.order", "9"),
                EntityJob(key, "upsales.order", "7"),
                EntityJob(key, "upsales.company", "7"),
                EntityJob(key, "upsales.order", "9"),
            ],
        )
        await session.commit()
        count = await session.scalar(select(func.count()).select_from(SyncJob))
    assert [result.created for result in results] == [True, False, True, False]
    assert results[1].job_id == queued.job_id
    assert results[0].job_id == results[3].job_id
    assert len({results[0].job_id, results[1].job_id, results[2].job_id}) == 3
    assert count == 3


async def test_enqueue_many_queues_anew_for_an_entity_whose_job_started(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    job = EntityJob(installation.id, "fortnox.customer", "42")
    async with session_factory() as session:
        (first,) = await enqueue_many(await session.connection(), [job])
        await session.execute(
            update(SyncJob).where(SyncJob.id == first.job_id).values(status=JobStatus.RUNNING)
        )
        (again,) = await enqueue_many(await session.connection(), [job])
        await session.commit()
    assert first.created and again.created and again.job_id != first.job_id


async def test_enqueue_many_of_nothing_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        assert await enqueue_many(await session.connection(), []) == []
        assert await session.scalar(select(func.count()).select_from(SyncJob)) == 0


async def test_the_rest_of_a_jobs_work_is_queued_or_handed_to_the_request_queued_meanwhile(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(session_factory)
    key = {"installation_id": installation.id, "kind": "reprice_products", "entity_id": "products"}
    async with session_factory() as session:
        running = await enqueue(session, **key)
        await session.execute(
            update(SyncJob).where(SyncJob.id == running.job_id).values(status=JobStatus.RUNNING)
        )
        connection = await session.connection()
        rest = await queue_rest(connection, **key, payload={"after_product_id": 50})
        request = await enqueue(session, **key)  # a request while the rest waits joins it
        await session.execute(
            update(SyncJob).where(SyncJob.id == rest.job_id).values(status=JobStatus.RUNNING)
        )
        newer = await enqueue(session, **key)  # a request while the rest runs
        taken_over = await queue_rest(connection, **key, payload={"after_product_id": 100})
        await session.commit()
        payloads = {job.id: job.payload for job in await session.scalars(select(SyncJob))}
    assert rest.created and rest.job_id != running.job_id
    assert (request.created, request.job_id) == (False, rest.job_id)
    assert newer.created and (taken_over.created, taken_over.job_id) == (False, newer.job_id)
    assert payloads == {
        running.job_id: {},
        rest.job_id: {"after_product_id": 50},
        newer.job_id: {"after_product_id": 100},
    }
