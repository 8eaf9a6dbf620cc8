"""A deal whose invoice was cancelled in Fortnox (so the sync moved it to lost) and that the
sales rep then wins again: it gets a new invoice, and the cancelled one's later events leave it
won."""

from __future__ import annotations

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, change_event, context_of
from tests.e2e.outbound_support import link_of, sync_order, win
from tests.e2e.won_deal_support import intents, invoices_of
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


async def _won_then_cancelled(harness: SyncHarness, order_id: int) -> int:
    """The deal won, its invoice made, then cancelled by the bookkeeper and its event synced
    (the deal is lost); the cancelled invoice's number."""
    win(harness, order_id)
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    number = int((first.result or {})["fortnox_invoice"])
    context = await context_of(harness)
    await context.fortnox.cancel_invoice(number)
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0
    return number


async def test_a_deal_won_again_after_its_invoice_was_cancelled_gets_a_new_invoice(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    cancelled = await _won_then_cancelled(harness, order_id)
    assert await intents(harness) == 0  # its create is known: a new one needs no search

    win(harness, order_id)  # the customer signs after all
    calls_before = dict(harness.services.fortnox_calls)
    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created"
    live = [i for i in invoices_of(harness, order_id) if not i.get("Cancelled")]
    assert len(live) == 1
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == str(live[0]["DocumentNumber"])
    assert link.fortnox_id != str(cancelled)
    calls = {k: v - calls_before.get(k, 0) for k, v in harness.services.fortnox_calls.items()}
    assert {k: v for k, v in calls.items() if v} == {"POST /invoices": 1}


async def test_the_cancelled_invoices_later_events_leave_the_deal_won_again(
    linked: SyncHarness,
) -> None:
    """Before and after the new invoice is made, an event of the cancelled one (sent again, or
    late) does not move the deal back to lost."""
    harness = linked
    order_id = harness.demo.opportunity_id
    cancelled = await _won_then_cancelled(harness, order_id)
    win(harness, order_id)

    await _replayed_leaves_it_won(harness, cancelled, offset="900")
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    await _replayed_leaves_it_won(harness, cancelled, offset="901")

    results = await _invoice_job_results(harness, cancelled)
    assert [r.get("reason") for r in results] == [
        "cancelled",
        "cancellation_synced",
        "own_document",
    ]


async def _replayed_leaves_it_won(harness: SyncHarness, invoice: int, *, offset: str) -> None:
    """The cancelled invoice's event, sent again: the re-won deal stays won."""
    await EventFeed(harness).enqueue([change_event(harness, "invoices", str(invoice), offset)])
    await harness.run_jobs()
    won = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert won is not None and won["probability"] == 100


async def _invoice_job_results(harness: SyncHarness, number: int) -> list[dict[str, object]]:
    async with harness.services.session_factory() as session:
        jobs = await session.scalars(
            select(SyncJob)
            .where(SyncJob.kind == "fortnox.invoice", SyncJob.entity_id == str(number))
            .order_by(SyncJob.id)
        )
        return [dict(job.result or {}) for job in jobs]
