"""One installation in trouble delays no other installation's jobs.

The worker serves one installation at a time here, so a turn that held its place while its
installation could not go on would keep every other installation waiting. Its Fortnox holds it
back for minutes (a 429's Retry-After: the jobs call Fortnox through the real client and the
process' per-tenant limiters, as the sync's handlers do, each tenant answering on its own), or
it is deleted, paused or refused its Fortnox login while its job runs: the other's job is
served, and the troubled one's jobs end as its trouble says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    load_installation,
    load_job,
    make_worker,
    set_installation_status,
)
from upsales_fortnox.installations.api_clients import tenant_key
from upsales_fortnox.installations.repository.installation_rows import delete_installation_row
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import LimiterRegistry
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus

Factory = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 20
API_BASE = "https://fortnox.test/3"
KIND = "test.fortnox_read"
CUSTOMER = {"Customer": {"CustomerNumber": "10", "Name": "Acme AB", "Country": "Sverige"}}


class HeldSleep:
    """The limiters' clock and sleep: a wait for the tenant's budget is noted and does not end
    (the test sees whether a job sat in one) until :meth:`release`, which lets it pass."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []
        self.held = asyncio.Event()
        self._released = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.held.set()
        await self._released.wait()
        self.now += seconds

    def release(self) -> None:
        self._released.set()


async def test_a_tenant_paused_by_a_long_retry_after_holds_no_worker_place(
    session_factory: Factory,
) -> None:
    """Fortnox answers one tenant 429 with a Retry-After of five minutes: its installation's
    other jobs do not sit out that pause in the worker's only place; they are queued again for
    when it ends, and the other installation's job is served meanwhile."""
    clock = FakeClock()
    troubled = await add_installation(session_factory, name="Troubled AB")
    other = await add_installation(session_factory, name="Other AB")
    troubled_jobs = [
        await add_job(session_factory, troubled, clock, kind=KIND, entity_id=str(number))
        for number in range(3)
    ]
    clock.advance(1)  # the troubled installation's jobs are the oldest: it is served first
    other_job = await add_job(session_factory, other, clock, kind=KIND, entity_id="1")

    sleep = HeldSleep()
    limiters = LimiterRegistry(25, 5.0, clock=sleep.clock, sleep=sleep)
    other_served = asyncio.Event()
    tokens = {troubled: "token-troubled", other: "token-other"}

    async def handler(ctx: JobContext) -> Result:
        async def access_token() -> str:
            return tokens[ctx.installation_id]

        async def refresh(_rejected: str) -> str:
            raise AssertionError("no token is refused here")

        key = tenant_key(ctx.installation_id, None)
        async with httpx.AsyncClient() as http:
            client = FortnoxClient(
                http,
                base_url=API_BASE,
                tenant_key=key,
                access_token=access_token,
                refresh_token=refresh,
                limiter=limiters.get(key),
            )
            await client.get_customer("10")
        if ctx.installation_id == other:
            other_served.set()
        return Result({})

    registry = HandlerRegistry()
    registry.register(KIND, handler, side_by_side=True)
    settings = job_settings(worker_concurrency=1, worker_jobs_per_installation=1)
    worker = make_worker(session_factory, registry, clock, settings=settings)

    with respx.mock(assert_all_called=False) as router:
        router.get(
            f"{API_BASE}/customers/10", headers={"Authorization": "Bearer token-troubled"}
        ).mock(return_value=httpx.Response(429, headers={"Retry-After": "300"}))
        router.get(
            f"{API_BASE}/customers/10", headers={"Authorization": "Bearer token-other"}
        ).mock(return_value=httpx.Response(200, json=CUSTOMER))
        running = asyncio.create_task(worker.run_once())
        served = asyncio.create_task(other_served.wait())
        held = asyncio.create_task(sleep.held.wait())
        try:
            first, _ = await asyncio.wait(
                {served, held}, timeout=SAFETY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            assert served in first, "the other installation waited for the troubled one's pause"
            assert sleep.delays == []
        finally:
            sleep.release()
            served.cancel()
            held.cancel()
            await asyncio.wait_for(running, SAFETY_TIMEOUT)

    assert (await load_job(session_factory, other_job)).status == JobStatus.DONE
    for job_id in troubled_jobs:
        job = await load_job(session_factory, job_id)
        assert job.status == JobStatus.QUEUED
        assert job.last_error is not None
        assert job.last_error.startswith("fortnox_rate_limited:")
        assert job.run_after >= clock.now + timedelta(seconds=300)


async def test_an_installation_deleted_while_its_job_runs_stops_no_other(
    session_factory: Factory,
) -> None:
    """The operator deletes an installation while the worker's only place runs its job and
    more of its jobs wait: the job's end is not saved anywhere (its rows are gone), the worker
    goes on, and the other installation's job is served."""
    clock = FakeClock()
    doomed = await add_installation(session_factory, name="Doomed AB")
    other = await add_installation(session_factory, name="Other AB")
    doomed_jobs = [
        await add_job(session_factory, doomed, clock, kind=KIND, entity_id=str(number))
        for number in range(3)
    ]
    clock.advance(1)
    other_job = await add_job(session_factory, other, clock, kind=KIND, entity_id="1")
    started: list[int] = []
    deleted = asyncio.Event()
    other_served = asyncio.Event()

    async def handler(ctx: JobContext) -> Result:
        started.append(ctx.job_id)
        if ctx.installation_id == doomed:
            async with session_factory() as session:
                installation = await session.get(Installation, doomed)
                assert installation is not None
                await delete_installation_row(session, installation)
                await session.commit()
            deleted.set()
        else:
            other_served.set()
        return Result({})

    registry = HandlerRegistry()
    registry.register(KIND, handler, side_by_side=True)
    settings = job_settings(worker_concurrency=1, worker_jobs_per_installation=1)
    worker = make_worker(session_factory, registry, clock, settings=settings)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(other_served.wait(), SAFETY_TIMEOUT)
    finally:
        stop.set()
        await asyncio.wait_for(running, SAFETY_TIMEOUT)

    assert deleted.is_set()
    assert started == [doomed_jobs[0], other_job]
    assert (await load_job(session_factory, other_job)).status == JobStatus.DONE
    async with session_factory() as session:
        left = await session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.installation_id == doomed)
        )
    assert left == 0


@pytest.mark.parametrize("trouble", ["paused", "login_refused"])
async def test_an_installation_stopped_while_its_job_runs_stops_no_other(
    session_factory: Factory, trouble: str
) -> None:
    """An installation paused by the operator, or whose Fortnox login is refused, while the
    worker's only place runs its job and more of its jobs wait: those wait (queued, not dead,
    not started) for it to be resumed or logged in again, and the other installation's job is
    served meanwhile."""
    clock = FakeClock()
    stopped = await add_installation(session_factory, name="Stopped AB")
    other = await add_installation(session_factory, name="Other AB")
    stopped_jobs = [
        await add_job(session_factory, stopped, clock, kind=KIND, entity_id=str(number))
        for number in range(3)
    ]
    clock.advance(1)
    other_job = await add_job(session_factory, other, clock, kind=KIND, entity_id="1")
    started: list[int] = []
    other_served = asyncio.Event()

    async def handler(ctx: JobContext) -> Result:
        started.append(ctx.job_id)
        if ctx.installation_id == other:
            other_served.set()
        elif trouble == "paused":
            await set_installation_status(session_factory, stopped, InstallationStatus.PAUSED)
        else:
            raise ReauthorizationRequired("Fortnox refused the stored refresh token")
        return Result({})

    registry = HandlerRegistry()
    registry.register(KIND, handler, side_by_side=True)
    settings = job_settings(worker_concurrency=1, worker_jobs_per_installation=1)
    worker = make_worker(session_factory, registry, clock, settings=settings)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(other_served.wait(), SAFETY_TIMEOUT)
    finally:
        stop.set()
        await asyncio.wait_for(running, SAFETY_TIMEOUT)

    assert started == [stopped_jobs[0], other_job]
    assert (await load_job(session_factory, other_job)).status == JobStatus.DONE
    for job_id in stopped_jobs[1:]:
        job = await load_job(session_factory, job_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    first = await load_job(session_factory, stopped_jobs[0])
    expected = JobStatus.DONE if trouble == "paused" else JobStatus.QUEUED
    assert first.status == expected
    if trouble == "login_refused":
        assert first.last_error is not None
        assert first.last_error.startswith("fortnox_reauthorization_required:")
        installation = await load_installation(session_factory, stopped)
        assert installation.status == InstallationStatus.NEEDS_RELOGIN
