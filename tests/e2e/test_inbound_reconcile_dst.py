"""Reconciliation's ``lastmodified`` window is Swedish local time, also across a daylight-saving
change: what changed since the checkpoint is listed, what changed an hour or more before it is
not (it used to be, at every run, when UTC wall time was sent as Swedish time)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import (
    FAST_FORTNOX_LIMIT,
    SyncHarness,
    build_harness,
    harness_settings,
)
from tests.e2e.inbound_support import companies_named, fortnox_call
from ufs_sandboxes.fortnox import FortnoxSandboxConfig, ManualClock
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.sync.reconcile import TOPICS, reconcile_installation


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time())  # tokens are issued at the real time


@pytest.fixture
async def timed_harness(
    database_url: str, engine: AsyncEngine, clock: ManualClock
) -> AsyncIterator[SyncHarness]:
    settings = harness_settings(database_url)
    config = FortnoxSandboxConfig(
        client_id=settings.fortnox_client_id,
        client_secret=settings.fortnox_client_secret.get_secret_value(),
        rate_limit=FAST_FORTNOX_LIMIT,
        clock=clock,
    )
    built = await build_harness(settings, engine, fortnox_config=config)
    try:
        yield built
    finally:
        await built.service.aclose()
        await built.services.http.aclose()


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def checkpoint_all_topics(harness: SyncHarness, at: datetime) -> None:
    async with harness.services.session_factory() as session:
        for topic in (*TOPICS, "customers:sweep", "articles:sweep"):
            session.add(
                ReconcileCheckpoint(
                    installation_id=harness.installation_id,
                    topic=topic,
                    checked_until=at,
                    updated_at=at,
                )
            )
        await session.commit()


async def reconcile_from(harness: SyncHarness, checkpoint: datetime) -> list[str]:
    """Run reconciliation with every topic checked until ``checkpoint``; the customer numbers
    it fed in."""
    await checkpoint_all_topics(harness, checkpoint)  # the sweep too: it is not under test
    run_at = checkpoint + timedelta(minutes=30)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: run_at)
    async with harness.services.session_factory() as session:
        found = await session.scalars(
            select(InboundEvent.entity_id).where(
                InboundEvent.dedupe_key.startswith("fortnox:customers:reconcile:")
            )
        )
        return sorted(entity_id for entity_id in found if entity_id is not None)


def change_customers_at(harness: SyncHarness, clock: ManualClock, **moments: datetime) -> None:
    for number, moment in moments.items():
        clock.now = moment.timestamp()
        harness.fortnox.seed(
            harness.tenant_id,
            customers=[{"CustomerNumber": number.removeprefix("c"), "Name": f"Kund {number}"}],
        )


async def test_spring_gap(timed_harness: SyncHarness, clock: ManualClock) -> None:
    # 2026-03-29: 01:59 CET (00:59 UTC) is followed by 03:00 CEST (01:00 UTC).
    change_customers_at(
        timed_harness,
        clock,
        c1=utc(2026, 3, 29, 0, 40),  # 01:40 CET, half an hour before the checkpoint
        c2=utc(2026, 3, 29, 1, 8),  # 03:08 CEST, inside the 2-minute overlap
        c3=utc(2026, 3, 29, 1, 20),  # 03:20 CEST, after the checkpoint
    )
    assert await reconcile_from(timed_harness, utc(2026, 3, 29, 1, 10)) == ["2", "3"]


async def test_autumn_overlap_second_pass(timed_harness: SyncHarness, clock: ManualClock) -> None:
    # 2026-10-25: 02:00-02:59 happens twice, first at UTC+2 (00:00-00:59 UTC), then at UTC+1.
    change_customers_at(
        timed_harness,
        clock,
        c1=utc(2026, 10, 24, 23, 50),  # 01:50 CEST, 90 minutes before the checkpoint
        c2=utc(2026, 10, 25, 0, 30),  # 02:30 CEST, first pass: 50 minutes before
        c3=utc(2026, 10, 25, 1, 25),  # 02:25 CET, second pass, after the checkpoint
    )
    # The window starts at 02:18, which Fortnox may read as either pass (the sandbox reads the
    # first): at most the ambiguous hour is listed again, nothing before it.
    assert await reconcile_from(timed_harness, utc(2026, 10, 25, 1, 20)) == ["2", "3"]


async def test_autumn_overlap_first_pass(timed_harness: SyncHarness, clock: ManualClock) -> None:
    change_customers_at(
        timed_harness,
        clock,
        c1=utc(2026, 10, 24, 23, 30),  # 01:30 CEST, before the ambiguous hour
        c2=utc(2026, 10, 25, 0, 5),  # 02:05 CEST, in the ambiguous hour before the checkpoint
        c3=utc(2026, 10, 25, 0, 25),  # 02:25 CEST, after the checkpoint
    )
    # The checkpoint (02:20 CEST) is in the ambiguous hour: the window starts at 01:59, so a
    # change in that hour is listed again (at most an hour more), and nothing is missed.
    assert await reconcile_from(timed_harness, utc(2026, 10, 25, 0, 20)) == ["2", "3"]


async def test_an_ordinary_day_lists_only_the_window(
    timed_harness: SyncHarness, clock: ManualClock
) -> None:
    change_customers_at(
        timed_harness,
        clock,
        c1=utc(2026, 6, 10, 11, 30),  # 13:30 CEST, 40 minutes before
        c2=utc(2026, 6, 10, 12, 15),  # after the checkpoint
    )
    assert await reconcile_from(timed_harness, utc(2026, 6, 10, 12, 10)) == ["2"]


async def reconcile_at(harness: SyncHarness, moment: datetime) -> None:
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: moment)
    await harness.run_jobs()


async def rename_customer_at(
    harness: SyncHarness, clock: ManualClock, moment: datetime, number: str, name: str
) -> None:
    clock.now = moment.timestamp()
    await fortnox_call(harness, "PUT", f"/customers/{number}", {"Customer": {"Name": name}})


async def test_a_change_after_a_run_in_the_autumn_hour_is_synced_by_the_next(
    timed_harness: SyncHarness, clock: ManualClock
) -> None:
    # 2026-10-25 02:00-02:59 CEST (00:00-00:59 UTC) is followed by 02:00-02:59 CET. Runs every
    # 15 minutes in the first pass all start their window at 01:59: each must still sync what
    # changed since the run before it.
    harness = timed_harness
    await checkpoint_all_topics(harness, utc(2026, 10, 25, 0, 5))
    change_customers_at(harness, clock, c1=utc(2026, 10, 25, 0, 10))
    await reconcile_at(harness, utc(2026, 10, 25, 0, 20))
    assert companies_named(harness, "Kund c1")

    await rename_customer_at(harness, clock, utc(2026, 10, 25, 0, 30), "1", "Höstbolaget AB")
    await reconcile_at(harness, utc(2026, 10, 25, 0, 35))

    assert companies_named(harness, "Höstbolaget AB")


async def test_a_change_after_two_runs_in_one_minute_is_synced_by_the_next(
    timed_harness: SyncHarness, clock: ManualClock
) -> None:
    # A run retried within the minute it ran in (a later topic failed) moves the checkpoints
    # again; the next run's window starts in that same minute.
    harness = timed_harness
    await checkpoint_all_topics(harness, utc(2026, 6, 10, 12, 0))
    change_customers_at(harness, clock, c1=utc(2026, 6, 10, 12, 0, 30))
    await reconcile_at(harness, utc(2026, 6, 10, 12, 1, 10))
    await reconcile_at(harness, utc(2026, 6, 10, 12, 1, 40))
    assert companies_named(harness, "Kund c1")

    await rename_customer_at(harness, clock, utc(2026, 6, 10, 12, 8), "1", "Sommarbolaget AB")
    await reconcile_at(harness, utc(2026, 6, 10, 12, 16, 40))

    assert companies_named(harness, "Sommarbolaget AB")
