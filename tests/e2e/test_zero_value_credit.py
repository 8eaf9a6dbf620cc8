"""A deal of nothing (a 0 kr pilot, sample or warranty replacement) whose invoice the bookkeeper
credits in full goes to lost as credited, as a deal of any value does: with ``creditInvoices``
a credit of nothing is the whole of an invoice of nothing, not a partial credit."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, won_and_invoiced
from tests.e2e.test_payment_status import payment_fields, status_text


async def test_a_deal_of_nothing_credited_in_full_goes_to_lost_as_credited(
    linked: SyncHarness,
) -> None:
    harness = linked
    await harness.update_settings(payment_status=True, credit_invoices=True)
    order_id = harness.demo.opportunity_id
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    edit(harness, "orders", order_id, {"orderRow": [{**r, "price": 0} for r in deal["orderRow"]]})
    number = await won_and_invoiced(harness, order_id)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and invoice["Total"] == 0
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    feed = EventFeed(harness)
    await feed.sync()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("paid")

    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await feed.sync()

    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0
    assert lost["stage"]["id"] == harness.demo.stage_lost_id
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("credited")
