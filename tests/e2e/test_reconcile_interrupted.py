"""A reconciliation window recorded in several transactions (chunks) by a run that stops part
way: the next run loses no change, and a window recorded whole is still recorded once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import companies_named, context_of, jobs_of
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_inbound_reconcile import checkpoint_of, reconcile_keys
from tests.e2e.test_payment_status import money_on
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.intake.fortnox_events import PAYMENT_BOOKKEPT
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant, record_with_intake
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.fortnox.stream import Message
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.sync import reconcile
from upsales_fortnox.sync.reconcile import reconcile_installation, seed_reconcile_checkpoints
from upsales_fortnox.vocabulary import JobKind, JobStatus

CHUNK = 2


class DatabaseAway(Exception):
    pass


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconcile, "RECORD_CHUNK", CHUNK)


async def activated_an_hour_ago(harness: SyncHarness) -> datetime:
    """The installation's checkpoints, started at its activation an hour ago."""
    activated = datetime.now(UTC) - timedelta(hours=1)
    async with harness.services.session_factory() as session:
        await seed_reconcile_checkpoints(session, harness.installation_id, activated)
        await session.commit()
    return activated


async def five_customers(harness: SyncHarness) -> datetime:
    """Five customers made since the installation's activation; when it was activated."""
    activated = await activated_an_hour_ago(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": str(n), "Name": f"Kund {n} AB"} for n in range(1, 6)],
    )
    return activated


class StopsAfterFirstChunk:
    """A recorder that records one chunk (of events of ``event_type``, when given: other chunks
    are recorded); the database is away for the next."""

    def __init__(self, event_type: str | None = None) -> None:
        self.event_type = event_type
        self.recorded = False

    async def __call__(
        self, session: DbSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None:
        counts = self.event_type is None or events[0]["type"] == self.event_type
        if counts and self.recorded:
            raise DatabaseAway
        await record_with_intake(session, tenant, events)
        self.recorded = self.recorded or counts


async def test_a_run_stopped_after_its_first_chunk_loses_no_later_change(
    harness: SyncHarness,
) -> None:
    """Customer 1 is recorded by the first chunk and synced; the run stops before its window is
    done, and then the bookkeeper renames customer 1 (its event is lost). The next run lists the
    same window again: the rename reaches Upsales."""
    await five_customers(harness)
    with pytest.raises(DatabaseAway):
        await reconcile_installation(
            harness.services, harness.installation_id, StopsAfterFirstChunk()
        )
    await harness.run_jobs()  # the first chunk's customers are read from Fortnox and synced
    assert len(companies_named(harness, "Kund 1 AB")) == 1
    assert companies_named(harness, "Kund 3 AB") == []
    context = await context_of(harness)
    await context.fortnox.update_customer("1", Customer(Name="Kund 1 Holding AB"))

    result = await reconcile_installation(harness.services, harness.installation_id)
    await harness.run_jobs()

    assert result.changed["customers"] == 5
    assert len(companies_named(harness, "Kund 1 Holding AB")) == 1
    assert companies_named(harness, "Kund 1 AB") == []
    assert {c["name"] for c in harness.upsales_entities("accounts")} >= {
        f"Kund {n} AB" for n in range(2, 6)
    }


async def test_a_complete_run_of_several_chunks_repeated_over_its_window_records_nothing_twice(
    harness: SyncHarness,
) -> None:
    activated = await five_customers(harness)
    start = datetime.now(UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: start)
    assert await checkpoint_of(harness, "customers") == start
    async with harness.services.session_factory() as session:  # the checkpoint lost
        row = await session.get(ReconcileCheckpoint, (harness.installation_id, "customers"))
        assert row is not None
        row.checked_until = activated
        await session.commit()
    keys = await reconcile_keys(harness)

    later = start + timedelta(minutes=5)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: later)

    assert len(keys) == 5 and await reconcile_keys(harness) == keys
    assert len(await jobs_of(harness, "fortnox.customer", "1")) == 1


async def test_a_run_stopped_in_its_payments_records_them_again_the_next_run(
    harness: SyncHarness,
) -> None:
    """Three payments whose events were lost; the run stops after the first chunk of them. The
    next run lists them again and records each anew, those of the first chunk too (their jobs
    had run: a payment changed since then would otherwise not be synced)."""
    await activated_an_hour_ago(harness)
    feed, number, _, _ = await money_on(harness)
    payments = [await pay(harness, number, "100") for _ in range(3)]
    feed.new_events()  # the payments' events are lost
    with pytest.raises(DatabaseAway):
        await reconcile_installation(
            harness.services, harness.installation_id, StopsAfterFirstChunk(PAYMENT_BOOKKEPT)
        )
    await harness.run_jobs()
    first = await reconciled_payments(harness)
    assert sorted(first, key=int) == sorted(payments, key=int)[:CHUNK]

    await reconcile_installation(harness.services, harness.installation_id)

    again = await reconciled_payments(harness)
    assert {p: len(keys) for p, keys in again.items()} == {
        p: 2 if p in first else 1 for p in payments
    }
    for payment in payments:  # each to be synced (the first chunk's jobs had run)
        jobs = await jobs_of(harness, JobKind.FORTNOX_INVOICE_PAYMENT, payment)
        assert [job.status for job in jobs][-1] == JobStatus.QUEUED


async def reconciled_payments(harness: SyncHarness) -> dict[str, list[str]]:
    """Payment number → the dedupe keys of the reconciliation's events for it."""
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(InboundEvent.entity_id, InboundEvent.dedupe_key).where(
                InboundEvent.event_type == PAYMENT_BOOKKEPT,
                InboundEvent.dedupe_key.contains(":reconcile:"),
            )
        )
        keys: dict[str, list[str]] = {}
        for entity_id, key in rows:
            keys.setdefault(entity_id, []).append(key)
        return keys
