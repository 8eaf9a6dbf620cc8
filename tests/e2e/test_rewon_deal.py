"""A deal whose invoice was cancelled in Fortnox (so the sync moved it to lost) and that the
sales rep then wins again: it gets a new invoice, and the cancelled one's later events leave it
won."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, change_event, context_of, fortnox_call
from tests.e2e.outbound_support import edit, fortnox_list, link_of, queue, sync_order, win
from tests.e2e.won_deal_support import intents, invoices_of
from upsales_fortnox.core.texts import say
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus, LinkEntity, SyncType

READ_ORDER = "GET /orders/{DocumentNumber}"


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
    lost = await _status(harness, order_id)
    assert lost["status"] == "cancelled"
    assert lost["message"] == say(
        "status.cancelled", document=say("document.invoice"), number=str(cancelled)
    )

    win(harness, order_id)  # the customer signs after all
    await queue(harness, "upsales.order", order_id)
    waiting = await _status(harness, order_id)  # its job not run yet: a document to send
    assert waiting["message"] == say("status.waiting_to_send")
    calls_before = dict(harness.services.fortnox_calls)
    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created"
    live = [i for i in invoices_of(harness, order_id) if not i.get("Cancelled")]
    assert len(live) == 1
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == str(live[0]["DocumentNumber"])
    assert link.fortnox_id != str(cancelled)
    assert await _status_names(harness, order_id) == {"type": "invoice", "number": link.fortnox_id}
    calls = {k: v - calls_before.get(k, 0) for k, v in harness.services.fortnox_calls.items()}
    assert {k: v for k, v in calls.items() if v} == {"POST /invoices": 1}


@pytest.mark.parametrize("seen", [True, False], ids=["invoice_synced_first", "invoice_unseen"])
@pytest.mark.parametrize("ended", ["cancelled", "credited"])
async def test_a_deal_won_again_after_the_invoice_made_of_its_order_ended_gets_a_new_order(
    linked: SyncHarness, ended: str, seen: bool
) -> None:
    """Sent as a Fortnox order, which the bookkeeper invoiced (the invoice synced, or not yet);
    the invoice was then cancelled, or booked and credited in full (the deal is lost). Won
    again, the deal reads the order, which Fortnox keeps invoiced (it can take no more changes
    and no second invoice), looks for a backorder of its rest to take (it was invoiced whole:
    there is none), and gets a new one."""
    harness = linked
    invoiced = await _order_invoiced_then_ended(harness, ended, seen=seen)
    order_id = harness.demo.opportunity_id

    win(harness, order_id)  # the customer signs after all
    calls_before = dict(harness.services.fortnox_calls)
    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created"
    made = (again.result or {})["fortnox_order"]
    assert int(made) != invoiced
    calls = {k: v - calls_before.get(k, 0) for k, v in harness.services.fortnox_calls.items()}
    assert {k: v for k, v in calls.items() if v} == {
        READ_ORDER: 1,
        "GET /orders": 1,
        "POST /orders": 1,
    }
    assert await _status_names(harness, order_id) == {"type": "order", "number": made}
    edited = await sync_order(harness, order_id)  # its next change goes to the new order
    assert edited.status == JobStatus.DONE, edited.last_error
    assert (edited.result or {}).get("fortnox_order") == made


async def test_a_deal_won_again_takes_its_order_back_when_fortnox_opened_it_again(
    linked: SyncHarness,
) -> None:
    """The other answer to ``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``: Fortnox opens the
    order again once its invoice is cancelled. Won again, the deal keeps that order and makes
    no second one; its next change updates it."""
    harness = linked
    invoiced = await _order_invoiced_then_ended(harness, "cancelled", seen=True)
    order_id = harness.demo.opportunity_id
    stored = harness.fortnox.tenant(harness.tenant_id).collection("orders").get(str(invoiced))
    assert stored is not None
    stored["InvoiceReference"] = 0  # opened again

    win(harness, order_id)
    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {}).get("fortnox_order") == str(invoiced), again.result
    assert (again.result or {})["outcome"] != "created"
    assert len(fortnox_list(harness, "orders")) == 1
    assert await _status_names(harness, order_id) == {"type": "order", "number": str(invoiced)}
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 1} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})
    edited = await sync_order(harness, order_id)
    assert edited.status == JobStatus.DONE, edited.last_error
    assert (edited.result or {})["outcome"] == "updated"
    assert (edited.result or {}).get("fortnox_order") == str(invoiced)


async def _order_invoiced_then_ended(harness: SyncHarness, ended: str, *, seen: bool) -> int:
    """The deal won and sent as a Fortnox order, the order invoiced, and the invoice
    ``ended`` (cancelled, or booked and credited in full), its events synced (and, when
    ``seen``, the invoice's before it ended): the deal is lost. The order's number."""
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    invoiced = int((first.result or {})["fortnox_order"])
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(invoiced)
    assert invoice.DocumentNumber is not None
    if seen:
        await EventFeed(harness).sync()
    if ended == "cancelled":
        await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    else:
        await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/bookkeep")
        await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/credit")
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0
    return invoiced


async def _status_names(harness: SyncHarness, order_id: int) -> dict[str, str] | None:
    """The Fortnox document the deal's status (the sales rep's, in the Upsales app) names."""
    names: dict[str, str] | None = (await _status(harness, order_id))["fortnox"]
    return names


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    async with harness.services.session_factory() as session:
        return await order_status(session, harness.installation_id, order_id)


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
        "replaced",  # kept as the deal's earlier invoice, ended
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


async def test_a_deal_won_again_as_an_invoice_after_its_orders_invoice_ended_keeps_it(
    linked: SyncHarness,
) -> None:
    """Sent as an order, which was invoiced and the invoice cancelled (the deal is lost); the
    installation now sends won deals as invoices, so the deal won again gets a new invoice, in
    the place of the cancelled invoice's link. The invoiced order is unlinked with it: the
    deal's next sync and its status name the new invoice, not the order (whose update Fortnox
    refuses, as it is invoiced)."""
    harness = linked
    await _order_invoiced_then_ended(harness, "cancelled", seen=True)
    await harness.update_settings(sync_type=SyncType.INVOICE)
    order_id = harness.demo.opportunity_id

    win(harness, order_id)  # the customer signs after all
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created"
    made = (again.result or {})["fortnox_invoice"]

    assert await _status_names(harness, order_id) == {"type": "invoice", "number": made}
    edited = await sync_order(harness, order_id)  # its next change goes to the new invoice
    assert edited.status == JobStatus.DONE, edited.last_error
    assert (edited.result or {}).get("fortnox_invoice") == made
    assert "fortnox_order" not in (edited.result or {})


async def test_the_status_names_the_new_order_once_it_is_cancelled_too(
    linked: SyncHarness,
) -> None:
    """Won again after the invoice of its order was cancelled, the deal's new order took the
    order's link; once that order is cancelled as well, every document of the deal is, and its
    status names the one linked last: the new order, not the first invoice."""
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(
        int((first.result or {})["fortnox_order"])
    )
    assert invoice.DocumentNumber is not None
    await EventFeed(harness).sync()
    await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    await EventFeed(harness).sync()
    win(harness, order_id)
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    made = (again.result or {})["fortnox_order"]

    await context.fortnox.cancel_order(int(made))
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0

    assert await _status_names(harness, order_id) == {"type": "order", "number": made}
