"""Group commit: concurrent deliveries in shared transactions, each answered with its own results
only after the commit; dedupe and coalescing across the batch; failures kept apart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import BACKENDS
from tests.database import until_a_session_waits_for_a_lock
from tests.intake.support import (
    all_events,
    all_jobs,
    count_rows,
    create_installation,
    fortnox_event,
    order_hook,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.deliveries import (
    EventsOf,
    IntakeResult,
    NewEvent,
    fortnox_new_events,
    upsales_new_event,
)
from upsales_fortnox.intake.parse import UpsalesChange, parse_fortnox_events, parse_upsales_app_hook
from upsales_fortnox.intake.repository.group_commit import IntakeWriter
from upsales_fortnox.intake.repository.postgres import Driver, driver_connection, record_events_on
from upsales_fortnox.intake.repository.record import record_events
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import JobStatus


def _event(order_id: int, **extra: Any) -> NewEvent:
    change = parse_upsales_app_hook(order_hook(order_id, **extra))
    assert isinstance(change, UpsalesChange)
    return upsales_new_event(change)


def _delivery(installation: Installation, *events: NewEvent | None) -> EventsOf:
    return EventsOf(installation.id, list(events))


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


async def test_concurrent_deliveries_share_one_commit_and_get_their_own_results(
    services: Services, installation: Installation, backend: str
) -> None:
    writer = services.intake_writer
    deliveries = [_delivery(installation, _event(order_id)) for order_id in range(1, 21)]
    results = await asyncio.gather(*(writer.record(delivery) for delivery in deliveries))
    assert all(result.status == "accepted" for (result,) in results)
    events = {event.id: event for event in await all_events(services.session_factory)}
    for delivery, (result,) in zip(deliveries, results, strict=True):
        (sent,) = delivery.events
        stored = events[result.event_id or 0]
        assert sent is not None and stored.dedupe_key == sent.dedupe_key
        assert stored.payload == sent.payload and "apiKey" not in stored.payload
        assert stored.job_id == result.job_id
    # the first delivery found the writer idle and went alone; the other 19 arrived while it
    # ran and went together: two transactions (one time of receipt each)
    assert len({event.received_at for event in events.values()}) == 2
    if backend == "postgresql":
        async with services.engine.connect() as connection:
            transactions = await connection.scalar(
                text("SELECT count(DISTINCT xmin::text) FROM inbound_events")
            )
        assert transactions == 2


async def test_a_batch_dedupes_and_coalesces_across_its_deliveries(
    services: Services, installation: Installation
) -> None:
    writer = services.intake_writer
    stored_before = _delivery(installation, _event(3))
    (earlier,) = await writer.record(stored_before)
    update_7 = _event(7)
    insert_7 = _event(7, event="after_order_insert")
    deliveries = [
        _delivery(installation, update_7),
        _delivery(installation, insert_7),
        _delivery(installation, update_7),  # a retry within the batch
        _delivery(installation, _event(3)),  # a retry of an event stored before
        _delivery(installation, _event(8)),
    ]
    results = [result for (result,) in await asyncio.gather(*map(writer.record, deliveries))]
    assert [result.status for result in results] == [
        "accepted",
        "accepted",
        "duplicate",
        "duplicate",
        "accepted",
    ]
    assert results[0].job_id == results[1].job_id == results[2].job_id
    assert results[2].event_id == results[0].event_id
    assert results[3] == IntakeResult("duplicate", job_id=earlier.job_id, event_id=earlier.event_id)
    assert results[4].job_id not in (None, results[0].job_id, earlier.job_id)
    assert await count_rows(services.session_factory) == (4, 3)
    jobs = {job.id: job for job in await all_jobs(services.session_factory)}
    assert (jobs[results[0].job_id or 0].kind, jobs[results[0].job_id or 0].entity_id) == (
        "upsales.order",
        "7",
    )


async def test_results_follow_the_events_of_a_delivery_with_ignored_ones_in_place(
    services: Services, installation: Installation
) -> None:
    events, _ = parse_fortnox_events(
        [
            fortnox_event("v1", topic="vouchers"),
            fortnox_event("c1", topic="customers", entity_id="100"),
            fortnox_event("c2", topic="customers", entity_id="100"),
            fortnox_event("c1", topic="customers", entity_id="100"),
        ]
    )
    delivery = EventsOf(installation.id, fortnox_new_events(installation, events))
    results = await services.intake_writer.record(delivery)
    assert [result.status for result in results] == ["ignored", "accepted", "accepted", "duplicate"]
    assert results[1].job_id == results[2].job_id == results[3].job_id
    assert await count_rows(services.session_factory) == (2, 1)


async def test_a_delivery_of_ignored_events_only_writes_nothing(
    services: Services, installation: Installation
) -> None:
    results = await services.intake_writer.record(_delivery(installation, None, None))
    assert results == [IntakeResult("ignored"), IntakeResult("ignored")]
    assert await count_rows(services.session_factory) == (0, 0)


async def test_a_delivery_that_cannot_be_stored_fails_alone(
    services: Services, installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    writer = services.intake_writer
    # the second batch holds a delivery for an installation that does not exist
    deliveries = [
        _delivery(installation, _event(1)),
        _delivery(installation, _event(2)),
        EventsOf(uuid.uuid4(), [_event(3)]),
        _delivery(installation, _event(4)),
    ]
    outcomes = await asyncio.gather(*map(writer.record, deliveries), return_exceptions=True)
    assert isinstance(outcomes[2], IntegrityError)
    for index in (0, 1, 3):
        (result,) = outcomes[index]  # type: ignore[misc]
        assert result.status == "accepted"
    assert await count_rows(services.session_factory) == (3, 3)
    assert "recording 3 deliveries together failed" in caplog.text
    ((after,),) = [await writer.record(_delivery(installation, _event(5)))]
    assert after.status == "accepted"


async def test_a_caller_that_stops_waiting_does_not_disturb_the_others(
    services: Services, installation: Installation
) -> None:
    writer = services.intake_writer
    first = asyncio.create_task(writer.record(_delivery(installation, _event(1))))
    gone = asyncio.create_task(writer.record(_delivery(installation, _event(2))))
    kept = asyncio.create_task(writer.record(_delivery(installation, _event(3))))
    await asyncio.sleep(0)
    gone.cancel()
    assert [(await first)[0].status, (await kept)[0].status] == ["accepted", "accepted"]
    assert gone.cancelled()
    assert {event.entity_id for event in await all_events(services.session_factory)} == {"1", "3"}


async def test_batches_are_bounded_by_their_number_of_events(
    engine: AsyncEngine, services: Services, installation: Installation
) -> None:
    writer = IntakeWriter(engine, max_batch_events=3)
    deliveries = [_delivery(installation, _event(order_id)) for order_id in range(1, 8)]
    await asyncio.gather(*map(writer.record, deliveries))
    receipts = [event.received_at for event in await all_events(services.session_factory)]
    # one alone, then the six that waited, three per transaction
    assert sorted(receipts.count(receipt) for receipt in set(receipts)) == [1, 3, 3]


# -- PostgreSQL: races with other writers, a dead connection ---------------------------------
#
# Each race runs with both recorders: the one the writer uses on asyncpg, and the SQLAlchemy one
# the rest of the service (and the writer's fallback) uses. "Theirs" is a transaction left open
# while "ours" runs into its rows and waits; then theirs commits.

RECORDERS = ["asyncpg", "sqlalchemy"]
Record = Callable[[list[EventsOf]], Awaitable[list[list[IntakeResult]]]]


async def _pg_installation(engine: AsyncEngine) -> uuid.UUID:
    async with engine.begin() as connection:
        installation_id = uuid.uuid4()
        await connection.execute(
            Installation.__table__.insert().values(id=installation_id, name="Acme", version=1)
        )
        return installation_id


@asynccontextmanager
async def _transaction(
    engine: AsyncEngine, recorder: str, wrap: Callable[[Driver], Driver] = lambda d: d
) -> AsyncIterator[Record]:
    """A transaction to record in, committed on leaving the block."""
    if recorder == "asyncpg":
        async with driver_connection(engine) as driver, driver.transaction():
            yield partial(record_events_on, wrap(driver))
    else:
        async with engine.begin() as connection:
            yield partial(record_events, connection)


async def _record_alone(
    engine: AsyncEngine, recorder: str, delivery: EventsOf, wrap: Callable[[Driver], Driver]
) -> IntakeResult:
    async with _transaction(engine, recorder, wrap) as record:
        ((result,),) = await record([delivery])
        return result


def _ours(
    engine: AsyncEngine,
    recorder: str,
    delivery: EventsOf,
    wrap: Callable[[Driver], Driver] = lambda d: d,
) -> asyncio.Task[IntakeResult]:
    return asyncio.create_task(_record_alone(engine, recorder, delivery, wrap))


async def _jobs(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(SyncJob.id, SyncJob.status).order_by(SyncJob.id))
        return [(row.id, row.status) for row in rows]


async def _claim(engine: AsyncEngine, job_id: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(SyncJob).where(SyncJob.id == job_id).values(status=JobStatus.RUNNING.value)
        )


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("recorder", RECORDERS)
async def test_an_event_stored_by_another_transaction_while_ours_waited_is_a_duplicate(
    pg_engine: AsyncEngine, recorder: str
) -> None:
    installation_id = await _pg_installation(pg_engine)
    delivery = EventsOf(installation_id, [_event(7)])
    async with _transaction(pg_engine, recorder) as theirs:
        ((their_result,),) = await theirs([delivery])
        ours = _ours(pg_engine, recorder, delivery)
        await until_a_session_waits_for_a_lock(pg_engine)
    assert await ours == IntakeResult(
        "duplicate", job_id=their_result.job_id, event_id=their_result.event_id
    )
    assert await _jobs(pg_engine) == [(their_result.job_id, "queued")]


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("recorder", RECORDERS)
async def test_an_entity_queued_by_another_transaction_while_ours_waited_shares_its_job(
    pg_engine: AsyncEngine, recorder: str
) -> None:
    installation_id = await _pg_installation(pg_engine)
    async with _transaction(pg_engine, recorder) as theirs:
        ((their_result,),) = await theirs([EventsOf(installation_id, [_event(7)])])
        ours = _ours(
            pg_engine, recorder, EventsOf(installation_id, [_event(7, event="after_order_insert")])
        )
        await until_a_session_waits_for_a_lock(pg_engine)
    our_result = await ours
    assert our_result.status == "accepted" and our_result.job_id == their_result.job_id
    assert await _jobs(pg_engine) == [(their_result.job_id, "queued")]


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("recorder", RECORDERS)
async def test_a_job_queued_for_an_event_that_turned_out_a_duplicate_is_removed(
    pg_engine: AsyncEngine, recorder: str
) -> None:
    installation_id = await _pg_installation(pg_engine)
    writer = IntakeWriter(pg_engine)
    (earlier,) = await writer.record(EventsOf(installation_id, [_event(7)]))
    delivery = EventsOf(installation_id, [_event(7, event="after_order_insert")])
    async with _transaction(pg_engine, recorder) as theirs:
        ((their_result,),) = await theirs([delivery])  # joins the queued job of order 7
        await _claim(pg_engine, earlier.job_id or 0)  # ...which the worker then starts
        ours = _ours(pg_engine, recorder, delivery)  # queues a new job, waits on the event
        await until_a_session_waits_for_a_lock(pg_engine)
    assert their_result.job_id == earlier.job_id
    assert await ours == IntakeResult(
        "duplicate", job_id=earlier.job_id, event_id=their_result.event_id
    )
    assert await _jobs(pg_engine) == [(earlier.job_id, "running")]


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("recorder", RECORDERS)
async def test_a_change_for_a_job_in_backoff_makes_it_due_with_its_attempts_restarted(
    pg_engine: AsyncEngine, recorder: str
) -> None:
    installation_id = await _pg_installation(pg_engine)
    writer = IntakeWriter(pg_engine)
    (earlier,) = await writer.record(EventsOf(installation_id, [_event(7)]))
    async with pg_engine.begin() as connection:  # it failed twice and waits out its backoff
        await connection.execute(
            update(SyncJob)
            .where(SyncJob.id == earlier.job_id)
            .values(attempts=2, run_after=utcnow() + timedelta(hours=1))
        )

    async with _transaction(pg_engine, recorder) as record:
        ((result,),) = await record(
            [EventsOf(installation_id, [_event(7, event="after_order_insert")])]
        )

    assert result.status == "accepted" and result.job_id == earlier.job_id
    async with pg_engine.connect() as connection:
        job = (
            await connection.execute(
                select(SyncJob.attempts, SyncJob.run_after).where(SyncJob.id == earlier.job_id)
            )
        ).one()
    assert job.attempts == 0
    assert job.run_after <= utcnow()


class ClaimAfterRecord:
    """A real connection that, right after the batch's first statement, lets the worker claim
    the entity's queued job from another connection (as a worker could at that moment)."""

    def __init__(self, driver: Driver, engine: AsyncEngine) -> None:
        self._driver = driver
        self._engine = engine

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        rows = await self._driver.fetch(query, *args)
        if "new_events AS" in query:
            async with self._engine.begin() as connection:
                await connection.execute(
                    update(SyncJob)
                    .where(SyncJob.status == JobStatus.QUEUED.value)
                    .values(status=JobStatus.RUNNING.value)
                )
        return rows

    def transaction(self) -> Any:
        return self._driver.transaction()

    def is_closed(self) -> bool:
        return self._driver.is_closed()

    def is_in_transaction(self) -> bool:
        return self._driver.is_in_transaction()


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
async def test_an_entity_whose_job_was_queued_and_started_meanwhile_gets_a_new_job(
    pg_engine: AsyncEngine,
) -> None:
    installation_id = await _pg_installation(pg_engine)
    async with _transaction(pg_engine, "asyncpg") as theirs:
        ((their_result,),) = await theirs([EventsOf(installation_id, [_event(7)])])
        ours = _ours(
            pg_engine,
            "asyncpg",
            EventsOf(installation_id, [_event(7, event="after_order_insert")]),
            wrap=lambda driver: ClaimAfterRecord(driver, pg_engine),
        )
        await until_a_session_waits_for_a_lock(pg_engine)
    our_result = await ours
    assert our_result.status == "accepted"
    assert our_result.job_id not in (None, their_result.job_id)
    assert await _jobs(pg_engine) == [
        (their_result.job_id, "running"),
        (our_result.job_id, "queued"),
    ]


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
async def test_pooled_connections_killed_by_the_database_cost_no_error(
    pg_engine: AsyncEngine, postgres_schema_url: str
) -> None:
    installation_id = await _pg_installation(pg_engine)
    writer = IntakeWriter(pg_engine)
    # fill the pool with several idle connections
    await asyncio.gather(
        *(writer.record(EventsOf(installation_id, [_event(n)])) for n in range(1, 4)),
        *(_hold_a_connection(pg_engine) for _ in range(3)),
    )
    await _terminate_other_sessions(postgres_schema_url)
    (result,) = await writer.record(EventsOf(installation_id, [_event(10)]))
    assert result.status == "accepted"
    (again,) = await writer.record(EventsOf(installation_id, [_event(11)]))
    assert again.status == "accepted"


async def _hold_a_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_sleep(0)"))
        await asyncio.sleep(0)


async def _terminate_other_sessions(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        terminated = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert terminated >= 2
    finally:
        await connection.close()
