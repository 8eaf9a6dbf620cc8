"""How long the queue's due work has waited, as the health, the alert and the gauge read it:
since the job became due, not since it was first queued."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.alert_rules import AlertKind
from upsales_fortnox.domain.health_rules import HealthThresholds
from upsales_fortnox.jobs import retry_dead_job
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.ops.alert_checks import current_causes
from upsales_fortnox.ops.metrics_gauges import read_database_figures
from upsales_fortnox.ops.repository.queue_reads import queue_figures
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]


async def test_a_job_retried_by_an_operator_waits_from_the_retry(
    session_factory: Factory,
) -> None:
    """A job that died days ago and is retried now has waited seconds, not days: the queue is
    not behind (no alert, no health reason) for what an operator has just done."""
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    days_ago = utcnow() - timedelta(days=3)
    async with session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(
                status=JobStatus.DEAD,
                created_at=days_ago,
                run_after=days_ago,
                finished_at=days_ago + timedelta(minutes=5),
                last_error="product_not_in_fortnox: no article",
            )
        )
        await session.commit()
    async with session_factory() as session:
        await retry_dead_job(session, job_id)
        await session.commit()
    now = utcnow() + timedelta(seconds=5)
    async with session_factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        figures = await queue_figures(session, installation_id, now)
    assert [cause.kind for cause in causes if cause.kind == AlertKind.QUEUE_BEHIND] == []
    assert figures.due == 1
    assert figures.oldest_pending_at is not None
    assert now - figures.oldest_pending_at < timedelta(minutes=1)
    gauges = await read_database_figures(session_factory, now)
    assert gauges.queue_oldest_seconds < 60


async def test_a_job_due_long_ago_and_still_waiting_is_behind(session_factory: Factory) -> None:
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    an_hour_later = utcnow() + timedelta(hours=1)
    async with session_factory() as session:
        causes = await current_causes(session, an_hour_later, HealthThresholds())
    assert [cause.kind for cause in causes] == [AlertKind.QUEUE_BEHIND]
    gauges = await read_database_figures(session_factory, an_hour_later)
    assert gauges.queue_oldest_seconds > 3500


async def test_a_job_its_stopped_worker_left_running_waits_from_its_lease_end(
    session_factory: Factory,
) -> None:
    """A worker stopped (killed, its host gone) in the middle of a job, and none has taken the
    job up since: the job is due again from its lease's end (a worker would run it), so it
    counts in the queue's age, for the alert, the health and the gauge alike. Alone in the
    queue, it would otherwise wait unseen."""
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    lease_ended = utcnow() - timedelta(hours=1)
    async with session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                attempts=1,
                lease_owner="worker-gone",
                lease_expires_at=lease_ended,
            )
        )
        await session.commit()
    now = utcnow()
    async with session_factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        figures = await queue_figures(session, installation_id, now)
    assert [cause.kind for cause in causes] == [AlertKind.QUEUE_BEHIND]
    assert figures.oldest_pending_at is not None
    assert abs(figures.oldest_pending_at - lease_ended) < timedelta(seconds=1)
    gauges = await read_database_figures(session_factory, now)
    assert 3500 < gauges.queue_oldest_seconds < 3700


async def test_a_job_under_a_live_lease_is_not_waiting(session_factory: Factory) -> None:
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    now = utcnow()
    async with session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                run_after=now - timedelta(hours=2),
                attempts=1,
                lease_owner="worker-1",
                lease_expires_at=now + timedelta(minutes=1),
            )
        )
        await session.commit()
    async with session_factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        figures = await queue_figures(session, installation_id, now)
    assert causes == []
    assert figures.oldest_pending_at is None
