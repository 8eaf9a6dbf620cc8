"""Recording events in the caller's transaction: dedupe, coalescing, tenant checks."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.intake.support import (
    all_events,
    all_jobs,
    count_rows,
    create_installation,
    fortnox_event,
    order_hook,
)
from upsales_fortnox.intake.deliveries import IntakeResult
from upsales_fortnox.intake.errors import TenantMismatchError
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    UpsalesChange,
    parse_fortnox_events,
    parse_upsales_app_hook,
)
from upsales_fortnox.intake.repository.record import record_fortnox_events, record_upsales_event
from upsales_fortnox.intake.wire import FortnoxChangeEvent
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services


def _change(body: dict[str, object]) -> UpsalesChange:
    change = parse_upsales_app_hook(body)
    assert isinstance(change, UpsalesChange)
    return change


def _events(*bodies: dict[str, object]) -> list[FortnoxChangeEvent]:
    events, _ = parse_fortnox_events(list(bodies))
    return events


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


async def test_upsales_event_is_stored_with_its_job(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async with session_factory() as session:
        result = await record_upsales_event(session, installation, _change(order_hook(7)))
        await session.commit()
    assert result.status == "accepted" and result.job_id is not None
    (event,) = await all_events(session_factory)
    (job,) = await all_jobs(session_factory)
    assert (event.source, event.event_type, event.entity_type, event.entity_id) == (
        "upsales",
        "after_order_update",
        "order",
        "7",
    )
    assert event.job_id == job.id == result.job_id and event.id == result.event_id
    assert (job.kind, job.entity_id, job.status) == ("upsales.order", "7", "queued")
    assert "apiKey" not in event.payload


async def test_nothing_is_kept_when_the_caller_does_not_commit(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async with session_factory() as session:
        await record_upsales_event(session, installation, _change(order_hook(7)))
        await record_fortnox_events(session, installation, _events(fortnox_event()))
        await session.rollback()
    assert await count_rows(session_factory) == (0, 0)


async def test_duplicate_returns_the_first_job_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async with session_factory() as session:
        first = await record_upsales_event(session, installation, _change(order_hook(7)))
        await session.commit()
    async with session_factory() as session:
        again = await record_upsales_event(session, installation, _change(order_hook(7)))
        await session.commit()
    assert again == IntakeResult("duplicate", job_id=first.job_id, event_id=first.event_id)
    assert await count_rows(session_factory) == (1, 1)


async def test_ignored_event_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async with session_factory() as session:
        result = await record_upsales_event(
            session, installation, IgnoredEvent("after_contact_update")
        )
        await session.commit()
    assert result == IntakeResult("ignored")
    assert await count_rows(session_factory) == (0, 0)


async def test_fortnox_batch_keeps_order_dedupes_coalesces_and_ignores(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    events = _events(
        fortnox_event("o-2", topic="customers", entity_id="100", type_="customer-updated-v1"),
        fortnox_event("o-1", topic="customers", entity_id="100", type_="customer-created-v1"),
        fortnox_event("c-1", topic="currencies", entity_id="SEK", type_="currency-updated-v1"),
        fortnox_event("o-2", topic="customers", entity_id="100", type_="customer-updated-v1"),
        fortnox_event("o-2", topic="articles", entity_id="A1", type_="article-updated-v1"),
    )
    async with session_factory() as session:
        results = await record_fortnox_events(session, installation, events)
        await session.commit()
    assert [result.status for result in results] == [
        "accepted",
        "accepted",
        "ignored",
        "duplicate",
        "accepted",
    ]
    assert results[0].job_id == results[1].job_id == results[3].job_id
    assert results[4].job_id not in (None, results[0].job_id)
    stored = await all_events(session_factory)
    assert sorted(event.dedupe_key for event in stored) == [
        "fortnox:articles:o-2",
        "fortnox:customers:o-1",
        "fortnox:customers:o-2",
    ]
    assert all(event.job_id is not None for event in stored)
    jobs = await all_jobs(session_factory)
    assert sorted((job.kind, job.entity_id) for job in jobs) == [
        ("fortnox.article", "A1"),
        ("fortnox.customer", "100"),
    ]


async def test_another_tenant_refuses_the_whole_batch(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    events = _events(fortnox_event("a"), fortnox_event("b", tenant_id=1))
    async with session_factory() as session:
        with pytest.raises(TenantMismatchError):
            await record_fortnox_events(session, installation, events)
        await session.commit()
    assert await count_rows(session_factory) == (0, 0)


async def test_unknown_tenant_accepts_any(services: Services) -> None:
    installation = await create_installation(
        services.session_factory, services.secret_box, tenant_id=None
    )
    async with services.session_factory() as session:
        (result,) = await record_fortnox_events(
            session, installation, _events(fortnox_event(tenant_id=5))
        )
        await session.commit()
    assert result.status == "accepted"


async def test_concurrent_identical_deliveries_make_one_event_and_one_job(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async def deliver() -> IntakeResult:
        async with session_factory() as session:
            result = await record_upsales_event(session, installation, _change(order_hook(9)))
            await session.commit()
            return result

    results = await asyncio.gather(*(deliver() for _ in range(5)))
    assert sorted(result.status for result in results) == ["accepted"] + ["duplicate"] * 4
    assert len({result.job_id for result in results}) == 1
    assert await count_rows(session_factory) == (1, 1)


async def test_concurrent_events_for_one_entity_coalesce(
    session_factory: async_sessionmaker[AsyncSession], installation: Installation
) -> None:
    async def deliver(offset: str) -> list[IntakeResult]:
        async with session_factory() as session:
            results = await record_fortnox_events(
                session, installation, _events(fortnox_event(offset), fortnox_event(offset + "x"))
            )
            await session.commit()
            return results

    batches = await asyncio.gather(*(deliver(f"o{n}") for n in range(4)))
    assert {result.status for batch in batches for result in batch} == {"accepted"}
    assert len({result.job_id for batch in batches for result in batch}) == 1
    assert await count_rows(session_factory) == (8, 1)
