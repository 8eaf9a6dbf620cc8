"""Helpers for the job tests: a controllable clock, rows, and a worker with test settings."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import HandlerRegistry, Worker, enqueue
from upsales_fortnox.jobs.store.presence import WorkerPresence
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InstallationLease, JobAttempt, SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus

LEASE_SECONDS = 60.0
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 60.0


@dataclass(frozen=True)
class Result:
    """A job result for a test's own job kind: its JSON is ``fields``."""

    fields: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.fields)


class FakeClock:
    """A clock that moves only when told to; starts at the real time so rows line up."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = (start or utcnow()).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def move_to(self, moment: datetime) -> None:
        self.now = moment


class HighestJitter(random.Random):
    """Always draws the top of the jitter range, so the backoff ceiling is observable."""

    def uniform(self, a: float, b: float) -> float:
        return b


def job_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "job_lease_seconds": LEASE_SECONDS,
        "job_backoff_base_seconds": BACKOFF_BASE_SECONDS,
        "job_backoff_max_seconds": BACKOFF_MAX_SECONDS,
        "worker_concurrency": 2,
        "worker_poll_seconds": 0.01,
    }
    values.update(overrides)
    return Settings(**values)


def make_worker(
    session_factory: async_sessionmaker[AsyncSession],
    registry: HandlerRegistry,
    clock: FakeClock,
    *,
    settings: Settings | None = None,
    **options: Any,
) -> Worker:
    options.setdefault("rng", random.Random(20240601))
    return Worker(session_factory, registry, settings or job_settings(), clock=clock, **options)


async def add_installation(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    status: InstallationStatus = InstallationStatus.ACTIVE,
    name: str = "Acme AB",
) -> uuid.UUID:
    async with session_factory() as session:
        installation = Installation(name=name, status=status)
        session.add(installation)
        await session.commit()
        return installation.id


async def add_job(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    clock: FakeClock,
    *,
    kind: str = "test.job",
    entity_id: str | None = None,
    payload: dict[str, Any] | None = None,
    delay_seconds: float = 0.0,
    max_attempts: int = 8,
) -> int:
    async with session_factory() as session:
        queued = await enqueue(
            session,
            installation_id=installation_id,
            kind=kind,
            entity_id=entity_id,
            payload=payload,
            run_after=clock.now + timedelta(seconds=delay_seconds),
            max_attempts=max_attempts,
        )
        await session.commit()
    assert queued.created
    return queued.job_id


async def load_job(session_factory: async_sessionmaker[AsyncSession], job_id: int) -> SyncJob:
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None
        return job


async def load_attempts(
    session_factory: async_sessionmaker[AsyncSession], job_id: int
) -> list[JobAttempt]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number)
        )
        return list(rows.all())


async def load_installation(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> Installation:
    async with session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        return installation


async def set_installation_status(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    status: InstallationStatus,
) -> None:
    async with session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        installation.status = status
        await session.commit()


async def lease_rows(session_factory: async_sessionmaker[AsyncSession]) -> list[InstallationLease]:
    async with session_factory() as session:
        return list((await session.scalars(select(InstallationLease))).all())


@asynccontextmanager
async def connected_as(
    session_factory: async_sessionmaker[AsyncSession], owner: str
) -> AsyncIterator[None]:
    """Stand in for a live worker ``owner``: on PostgreSQL hold its presence lock (a lease of
    an owner not connected is free to take there); on SQLite nothing to do."""
    engine = session_factory.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    if engine.dialect.name != "postgresql":
        yield
        return
    presence = WorkerPresence(engine, owner, lease=timedelta(seconds=LEASE_SECONDS))
    async with presence.lock:
        await presence.connection()
    try:
        yield
    finally:
        await presence.close()


async def simulate_crashed_run(
    session_factory: async_sessionmaker[AsyncSession],
    job_id: int,
    clock: FakeClock,
    *,
    lease_left_seconds: float,
) -> None:
    """What a worker leaves behind when it dies mid-job: running, attempt open, lease ticking."""
    async with session_factory() as session, session.begin():
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                attempts=SyncJob.attempts + 1,
                lease_owner="crashed-worker",
                lease_expires_at=clock.now + timedelta(seconds=lease_left_seconds),
            )
        )
        await session.execute(
            insert(JobAttempt).values(
                job_id=job_id,
                number=1,
                worker_id="crashed-worker",
                started_at=clock.now - timedelta(seconds=LEASE_SECONDS),
            )
        )


def dropped_connection() -> BaseException:
    """What SQLAlchemy raises for a connection that closed under a statement (asyncpg)."""
    driver_error = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
    return DBAPIError("SELECT 1", {}, driver_error)
