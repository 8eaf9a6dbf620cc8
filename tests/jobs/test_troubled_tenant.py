"""One installation's Fortnox in trouble delays no other installation's jobs.

The jobs here call Fortnox through the real client and the process' per-tenant limiters, as
the sync's handlers do; each installation's tenant answers on its own (respx, told apart by the
access token). The worker serves one installation at a time, so a turn that held its place
while its tenant could not be called would keep every other installation waiting.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    load_job,
    make_worker,
)
from upsales_fortnox.installations.api_clients import tenant_key
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import LimiterRegistry
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.vocabulary import JobStatus

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
