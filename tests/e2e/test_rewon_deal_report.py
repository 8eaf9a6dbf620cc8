"""The reconciliation report of a deal won again after its document ended: the ended one,
whose link the new one took, is no difference (its repair, a sync of the ended document,
changes nothing, so the report would never be clean again), and the deal's value is counted
once, in its new document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import fortnox_list, fortnox_today, sync_order, win
from tests.e2e.test_reconciliation_report import repair, report
from upsales_fortnox.vocabulary import JobStatus, SyncType


async def test_a_rewon_deals_cancelled_invoice_is_no_difference(linked: SyncHarness) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    today = fortnox_today(harness)
    await _invoiced_then_cancelled(harness, order_id, today)
    win(harness, order_id)  # the customer signs after all
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error

    found = await report(harness, today, today)

    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]


async def _won_again_after_its_invoice_ended(harness: SyncHarness, ended: str) -> tuple[int, str]:
    """Sent as a Fortnox order, which the bookkeeper invoiced; the invoice then cancelled (or
    booked and credited in full), so the deal went to lost; won again with one more of each
    row: the invoiced order and the deal's new one."""
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, date=fortnox_today(harness).isoformat())
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    invoiced = int((first.result or {})["fortnox_order"])
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(invoiced)
    assert invoice.DocumentNumber is not None
    await EventFeed(harness).sync()
    if ended == "cancelled":
        await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    else:
        await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/bookkeep")
        await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/credit")
    await EventFeed(harness).sync()
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None and deal["probability"] == 0
    more = [{**row, "quantity": row["quantity"] + 1} for row in deal["orderRow"]]
    win(harness, order_id, orderRow=more)  # the customer signs after all, for one more
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    made = str((again.result or {})["fortnox_order"])
    assert int(made) != invoiced
    return invoiced, made


@pytest.mark.parametrize("ended", ["cancelled", "credited"])
async def test_a_rewon_deals_invoiced_order_is_counted_once(
    linked: SyncHarness, ended: str
) -> None:
    """The invoiced order, which Fortnox keeps invoiced
    (``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``), is set aside: the report counts the
    deal's value once, in the new order, and pairs nothing with the old one."""
    harness = linked
    invoiced, made = await _won_again_after_its_invoice_ended(harness, ended)
    orders = {str(order["DocumentNumber"]): order for order in fortnox_list(harness, "orders")}
    assert orders[str(invoiced)]["InvoiceReference"]  # Fortnox keeps it invoiced
    net = Decimal(str(orders[made]["Net"]))
    assert net != Decimal(str(orders[str(invoiced)]["Net"]))

    today = fortnox_today(harness)
    found = await report(harness, today, today)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == {"SEK": {"count": 1, "net": f"{net:.2f}"}}
    assert found["upsales"] == found["fortnox"]


async def test_a_deal_whose_credit_was_cancelled_is_won_and_no_difference(
    linked: SyncHarness,
) -> None:
    """Without ``creditInvoices``, the invoice made of the deal's order credited moves the deal
    to lost; the credit cancelled (made by mistake) credits nothing: the deal is won again, and
    the report pairs it with its order, as it was."""
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=False)
    order_id = harness.demo.opportunity_id
    today = fortnox_today(harness)
    win(harness, order_id, date=today.isoformat())
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(
        int((first.result or {})["fortnox_order"])
    )
    number = invoice.DocumentNumber
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await EventFeed(harness).sync()
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None and deal["probability"] == 0

    credit = credited["Invoice"]["CreditInvoiceReference"]
    await fortnox_call(harness, "PUT", f"/invoices/{credit}/cancel")
    await EventFeed(harness).sync()

    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None and deal["probability"] == 100
    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]


async def test_a_rewon_deals_invoiced_order_stays_set_aside_once_its_new_order_is_invoiced(
    linked: SyncHarness,
) -> None:
    """As above (the first invoice cancelled), and the bookkeeper then invoices the deal's new
    order too: the new invoice takes the deal's invoice link from the one that ended, yet the
    old order, still invoiced in Fortnox, stays set aside: the deal is counted once, in its new
    order, and the report stays clean."""
    harness = linked
    _, made = await _won_again_after_its_invoice_ended(harness, "cancelled")
    await (await context_of(harness)).fortnox.create_invoice_from_order(int(made))
    await EventFeed(harness).sync()
    deal = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert deal is not None and deal["probability"] == 100
    orders = {str(order["DocumentNumber"]): order for order in fortnox_list(harness, "orders")}
    net = Decimal(str(orders[made]["Net"]))

    today = fortnox_today(harness)
    found = await report(harness, today, today)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == {"SEK": {"count": 1, "net": f"{net:.2f}"}}
    assert found["upsales"] == found["fortnox"]


async def test_a_deal_won_again_whose_hook_never_came_is_repaired_by_sending_it(
    linked: SyncHarness,
) -> None:
    """The invoice was cancelled and the sync moved the deal to lost; the customer signs after
    all and the rep wins it again, but that hook never reaches the service. The report names
    the pair, and its repair sends the deal (a new invoice), not a sync of the cancelled invoice
    (which would change nothing, the cancellation being synced already)."""
    harness = linked
    order_id = harness.demo.opportunity_id
    today = fortnox_today(harness)  # the invoices' day
    await _invoiced_then_cancelled(harness, order_id, today)
    assert (harness.upsales_entity("orders", order_id) or {})["probability"] == 0
    win(harness, order_id)  # its hook never came

    found = await report(harness, today, today)

    assert [(d["kind"], d["upsalesOrder"], d["repair"]) for d in found["differences"]] == [
        ("stage_differs", order_id, {"jobKind": "upsales.order", "entityId": str(order_id)})
    ]
    await repair(harness, today, today)
    await harness.run_jobs()
    after = await report(harness, today, today)
    assert after["clean"] is True, after["differences"]
    assert after["fortnox"]["SEK"]["count"] == 1


async def _invoiced_then_cancelled(harness: SyncHarness, order_id: int, day: dt.date) -> None:
    """The deal won on ``day`` and invoiced, its invoice then cancelled in Fortnox and that
    synced (the deal moved to lost)."""
    win(harness, order_id, date=day.isoformat())
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    cancelled = int((first.result or {})["fortnox_invoice"])
    await (await context_of(harness)).fortnox.cancel_invoice(cancelled)
    await EventFeed(harness).sync()
