"""Saving the settings requeues the jobs that died for a setting not set; one that an operator
retried in the meantime is passed over, and the save goes through."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job, load_job, make_worker
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.jobs import HandlerRegistry, JobContext, retry_dead_job
from upsales_fortnox.sync.inbound import deal_retry
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]


async def test_a_job_retried_meanwhile_is_passed_over(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first = await add_job(session_factory, installation_id, clock, entity_id="1")
    second = await add_job(session_factory, installation_id, clock, entity_id="2")

    async def handler(ctx: JobContext) -> None:
        raise PermanentError("the setting lostStage is not set", code="settings_incomplete")

    await make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock).run_once()
    async with session_factory() as session:
        read = await deal_retry.dead_job_ids(
            session, installation_id, deal_retry.MISSING_SETTING_PREFIX
        )
    assert sorted(read) == [first, second]
    async with session_factory() as session:  # an operator retries the first one meanwhile
        await retry_dead_job(session, first)
        await session.commit()

    async def as_read_before(*_: object) -> list[int]:
        return read

    monkeypatch.setattr(deal_retry, "dead_job_ids", as_read_before)
    async with session_factory() as session:
        retried = await deal_retry.retry_jobs_missing_settings(session, installation_id)
        await session.commit()
    assert retried == [second]
    assert (await load_job(session_factory, first)).status == JobStatus.QUEUED
    assert (await load_job(session_factory, second)).status == JobStatus.QUEUED
