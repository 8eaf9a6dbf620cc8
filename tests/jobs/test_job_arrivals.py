"""Queued jobs wake the worker: it claims them at once, not at its next poll (the poll here is an
hour, so only the notice can start the job within the test's safety timeout).

In one process the intake tells the worker; on PostgreSQL a job inserted by any other process is
told through the database (a trigger's notification, heard on the worker's presence
connection)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job, job_settings, make_worker
from upsales_fortnox.jobs import HandlerRegistry, JobContext, enqueue
from upsales_fortnox.jobs.arrivals import CHANNEL, JobArrivals

Factory = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 10
AN_HOUR = 3600


class Serving:
    """A worker running in the background: whether it claimed yet, and the entities its jobs
    ran for."""

    def __init__(self) -> None:
        self.claimed = asyncio.Event()
        self.ran: asyncio.Queue[str | None] = asyncio.Queue()
        self.held: dict[str, asyncio.Event] = {}
        """Jobs whose handler runs on until their event is set."""

    async def next_claim(self) -> None:
        self.claimed.clear()
        await asyncio.wait_for(self.claimed.wait(), SAFETY_TIMEOUT)


@asynccontextmanager
async def serving(
    session_factory: Factory, clock: FakeClock, arrivals: JobArrivals
) -> AsyncIterator[Serving]:
    """A worker polling once an hour, started and past its first claim (which found nothing)."""
    seen = Serving()

    async def handler(ctx: JobContext) -> None:
        await seen.ran.put(ctx.entity_id)
        if ctx.entity_id in seen.held:
            await seen.held[ctx.entity_id].wait()

    worker = make_worker(
        session_factory,
        HandlerRegistry({"test.job": handler}),
        clock,
        settings=job_settings(worker_poll_seconds=AN_HOUR),
        arrivals=arrivals,
    )
    claim = worker._store.claim_installations

    async def noted_claim(limit: int, **options: object) -> list[uuid.UUID]:
        won = await claim(limit, **options)  # type: ignore[arg-type]
        seen.claimed.set()
        return won

    worker._store.claim_installations = noted_claim  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop))
    try:
        await asyncio.wait_for(seen.claimed.wait(), SAFETY_TIMEOUT)
        yield seen
    finally:
        stop.set()
        await asyncio.wait_for(running, SAFETY_TIMEOUT)


async def _ran(seen: Serving) -> str | None:
    return await asyncio.wait_for(seen.ran.get(), SAFETY_TIMEOUT)


async def test_a_job_announced_in_the_process_is_run_without_waiting_for_the_poll(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation = await add_installation(session_factory)
    arrivals = JobArrivals()
    async with serving(session_factory, clock, arrivals) as seen:
        await add_job(session_factory, installation, clock, entity_id="won-1")
        arrivals.announce()
        assert await _ran(seen) == "won-1"
        await add_job(session_factory, installation, clock, entity_id="won-2")
        arrivals.announce()
        assert await _ran(seen) == "won-2"


async def test_a_job_queued_while_its_installation_is_served_runs_once_the_turn_ends(
    session_factory: Factory,
) -> None:
    """The claim made for the notice cannot take the installation being served, and its turn
    read its jobs before the new one came: the turn's end brings another claim."""
    clock = FakeClock()
    installation = await add_installation(session_factory)
    arrivals = JobArrivals()
    async with serving(session_factory, clock, arrivals) as seen:
        seen.held["first"] = first_may_end = asyncio.Event()
        await add_job(session_factory, installation, clock, entity_id="first")
        arrivals.announce()
        assert await _ran(seen) == "first"  # and it runs on
        await add_job(session_factory, installation, clock, entity_id="second")
        arrivals.announce()
        await seen.next_claim()  # the claim for the notice, made while "first" runs
        first_may_end.set()
        assert await _ran(seen) == "second"


async def test_a_job_inserted_by_another_process_wakes_the_worker_on_postgresql(
    pg_sessions: Factory, postgres_schema_url: str
) -> None:
    clock = FakeClock()
    installation = await add_installation(pg_sessions)
    async with serving(pg_sessions, clock, JobArrivals()) as seen:
        await add_job(pg_sessions, installation, clock, entity_id="from-the-api")
        assert await _ran(seen) == "from-the-api"


async def test_the_notice_is_sent_once_a_transaction_commits_and_not_for_one_rolled_back(
    pg_sessions: Factory, postgres_schema_url: str
) -> None:
    clock = FakeClock()
    installation = await add_installation(pg_sessions)
    listener = await asyncpg.connect(postgres_schema_url.replace("+asyncpg", ""))
    notices: asyncio.Queue[str] = asyncio.Queue()
    told: Callable[..., None] = lambda *notice: notices.put_nowait(notice[2])  # noqa: E731
    try:
        await listener.add_listener(CHANNEL, told)
        async with pg_sessions() as session:
            await enqueue(session, installation_id=installation, kind="test.job", entity_id="1")
            await session.rollback()
        await add_job(pg_sessions, installation, clock, entity_id="2")
        await add_job(pg_sessions, installation, clock, entity_id="3")
        assert await asyncio.wait_for(notices.get(), SAFETY_TIMEOUT) == CHANNEL
        assert await asyncio.wait_for(notices.get(), SAFETY_TIMEOUT) == CHANNEL
        # a round trip on the listening connection: any notice sent before it has arrived
        await listener.execute("SELECT 1")
        assert notices.empty(), "one notice per committed transaction, none for the rollback"
    finally:
        await listener.close()


async def test_an_insert_that_met_a_job_queued_already_sends_no_notice(
    pg_sessions: Factory, postgres_schema_url: str
) -> None:
    clock = FakeClock()
    installation = await add_installation(pg_sessions)
    await add_job(pg_sessions, installation, clock, entity_id="1")
    listener = await asyncpg.connect(postgres_schema_url.replace("+asyncpg", ""))
    notices: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener(CHANNEL, lambda *notice: notices.put_nowait(notice[2]))
        async with pg_sessions() as session:
            queued = await enqueue(
                session, installation_id=installation, kind="test.job", entity_id="1"
            )
            await session.commit()
        assert not queued.created  # merged into the job queued already
        await add_job(pg_sessions, installation, clock, entity_id="2")
        assert await asyncio.wait_for(notices.get(), SAFETY_TIMEOUT) == CHANNEL
        await listener.execute("SELECT 1")
        assert notices.empty(), "the merged insert sent none"
    finally:
        await listener.close()
