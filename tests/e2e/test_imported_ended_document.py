"""An invoice the bookkeeper makes in Fortnox and cancels, or books and credits in full, before
the sync has seen it: its events, duplicated and newest first, bring it to Upsales once, as an
order in the lost stage that shows the invoice's end; the credit invoice makes no order."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.test_inbound_documents import INVOICE_ROWS, invoice_module, orders_described
from tests.e2e.test_payment_status import payment_fields, status_text
from upsales_fortnox.integrations.fortnox.models import Invoice

__all__ = ["invoice_module"]


@pytest.mark.parametrize(("ended", "shown"), [("cancel", "cancelled"), ("credit", "credited")])
async def test_an_invoice_ended_before_its_first_sync_comes_in_once_as_lost(
    invoice_module: SyncHarness, ended: str, shown: str
) -> None:
    harness = invoice_module
    await harness.update_settings(payment_status=True, credit_invoices=True)
    fortnox = (await context_of(harness)).fortnox
    invoice = await fortnox.create_invoice(
        Invoice(CustomerNumber="2001", InvoiceRows=INVOICE_ROWS[:1])
    )
    number = invoice.DocumentNumber
    assert number is not None
    if ended == "cancel":
        await fortnox.cancel_invoice(number)
    else:
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
        await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    orders_before = len(harness.upsales_entities("orders"))
    feed = EventFeed(harness)
    events = feed.new_events()

    await feed.enqueue([*reversed(events), *events])
    await harness.run_jobs()

    (order,) = orders_described(harness, f"Fortnox-faktura {number}")
    assert (order["stage"]["id"], order["probability"]) == (harness.demo.stage_lost_id, 0)
    assert len(harness.upsales_entities("orders")) == orders_before + 1
    fields = payment_fields(harness, order["id"])
    assert fields["FORTNOX_PAYMENT_STATUS"] == status_text(shown)
