"""What the sales rep reads in Upsales (``app_status_order``) when the change that could not
reach a booked invoice is settled the way the status told: the bookkeeper credits the invoice,
which moves the deal to lost."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, sync_order, won_and_invoiced
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    async with harness.services.session_factory() as session:
        return await order_status(session, harness.installation_id, order_id)


async def _booked_then_changed(
    harness: SyncHarness, order_id: int
) -> tuple[str, list[dict[str, Any]]]:
    """The deal invoiced, its invoice booked, then two more days added by the rep, which the
    booked invoice refuses (the job dead); the invoice's number and the deal's rows now."""
    number = await won_and_invoiced(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 2} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})  # two more days
    refused = await sync_order(harness, order_id)
    assert refused.status == JobStatus.DEAD
    return number, more


async def test_a_locked_invoice_credited_afterwards_shows_the_deal_cancelled(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number, _ = await _booked_then_changed(harness, order_id)
    assert (await _status(harness, order_id))["message"] == say(
        "status.failed.locked.booked", document=say("document.invoice"), number=number
    )

    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")  # as the status asked
    await EventFeed(harness).sync()

    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0
    status = await _status(harness, order_id)
    assert status["status"] == "cancelled"
    assert status["message"] == say(
        "status.cancelled", document=say("document.invoice"), number=number
    )


async def test_the_change_a_booked_invoice_refused_is_in_the_deals_next_invoice_once(
    linked: SyncHarness,
) -> None:
    """Nothing of the rep's refused change is lost, nor is the deal invoiced twice: the
    bookkeeper credits the booked invoice as the status asks, the deal goes to lost, and won
    again it gets one new invoice carrying the change."""
    harness = linked
    order_id = harness.demo.opportunity_id
    number, more = await _booked_then_changed(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await EventFeed(harness).sync()

    renewed = await won_and_invoiced(harness, order_id)

    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items.values()
    # neither cancelled, nor a credit invoice, nor credited by one
    live = [
        i for i in invoices if not (i["Cancelled"] or i["Credit"] or i["CreditInvoiceReference"])
    ]
    new = harness.fortnox_entity("invoices", renewed)
    assert new is not None and renewed != number
    quantities = sorted(float(row["DeliveredQuantity"]) for row in new["InvoiceRows"])
    assert quantities == sorted(float(row["quantity"]) for row in more)
    assert [str(i["DocumentNumber"]) for i in live] == [renewed]
