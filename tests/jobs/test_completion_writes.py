"""Writes a handler saves with its job's completion: in that transaction, or not at all."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, Result, add_installation, add_job, load_job, make_worker
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import CustomFieldId
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]
_FIELDS = cast(Table, CustomFieldId.__table__)


def _remember(installation_id: uuid.UUID, alias: str, clock: FakeClock) -> Any:
    async def write(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(_FIELDS).values(
                installation_id=installation_id,
                entity="account",
                alias=alias,
                field_id=1,
                resolved_at=clock.now,
            )
        )

    return write


async def _aliases(session_factory: Factory) -> list[str]:
    async with session_factory() as session:
        return list(
            await session.scalars(select(CustomFieldId.alias).order_by(CustomFieldId.alias))
        )


async def test_writes_are_saved_with_the_completion_and_only_then(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    done = await add_job(session_factory, installation_id, clock, kind="ok")
    failed = await add_job(session_factory, installation_id, clock, kind="fails")
    written_during_run: list[list[str]] = []

    async def ok(ctx: JobContext) -> Result:
        ctx.save_with_completion(_remember(installation_id, "done", clock))
        written_during_run.append(await _aliases(session_factory))
        return Result({})

    async def fails(ctx: JobContext) -> Result:
        ctx.save_with_completion(_remember(installation_id, "failed", clock))
        raise PermanentError("no")

    registry = HandlerRegistry({"ok": ok, "fails": fails})
    await make_worker(session_factory, registry, clock).run_once()

    assert written_during_run == [[]]  # not before the handler returned
    assert await _aliases(session_factory) == ["done"]
    assert (await load_job(session_factory, done)).status == JobStatus.DONE
    assert (await load_job(session_factory, failed)).status == JobStatus.DEAD


async def test_a_job_no_longer_ours_saves_neither_its_outcome_nor_its_writes(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, kind="stolen")

    async def stolen(ctx: JobContext) -> Result:
        ctx.save_with_completion(_remember(installation_id, "late", clock))
        async with session_factory() as session, session.begin():
            await session.execute(
                update(SyncJob).where(SyncJob.id == ctx.job_id).values(lease_owner="newer-worker")
            )
        return Result({})

    await make_worker(session_factory, HandlerRegistry({"stolen": stolen}), clock).run_once()

    assert await _aliases(session_factory) == []
    assert (await load_job(session_factory, job_id)).status == JobStatus.RUNNING


async def test_a_failing_write_takes_the_completion_with_it(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, kind="twice")

    async def twice(ctx: JobContext) -> Result:
        ctx.save_with_completion(_remember(installation_id, "same", clock))
        ctx.save_with_completion(_remember(installation_id, "same", clock))  # duplicate key
        return Result({})

    await make_worker(session_factory, HandlerRegistry({"twice": twice}), clock).run_once()

    assert await _aliases(session_factory) == []
    # The run failed with the write's error, recorded: to be retried, not left running
    # until its lease ends.
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.QUEUED and job.lease_owner is None
    assert job.last_error is not None and "IntegrityError" in job.last_error
