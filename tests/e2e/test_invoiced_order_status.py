"""A deal sent as a Fortnox order that the bookkeeper then invoices: a later change of the deal
cannot reach the order, and the sales rep reads why (it is invoiced), not that it is booked or
sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import edit, sync_order, win
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus, SyncType


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    async with harness.services.session_factory() as session:
        return await order_status(session, harness.installation_id, order_id)


async def test_a_change_to_a_deal_whose_order_was_invoiced_names_the_invoice(
    linked: SyncHarness,
) -> None:
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    made = str((first.result or {})["fortnox_order"])
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(int(made))
    await EventFeed(harness).sync()  # the invoice is linked to the deal
    sent = await _status(harness, order_id)
    assert sent["status"] == "sent" and sent["fortnox"] == {"type": "order", "number": made}

    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 2} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})
    refused = await sync_order(harness, order_id)
    assert refused.status == JobStatus.DEAD

    failed = await _status(harness, order_id)
    assert failed["status"] == "failed"
    assert failed["message"] == (
        f"Ändringen skickades inte: ordern i Fortnox är redan fakturerad (faktura "
        f"{invoice.DocumentNumber}) och kan inte längre ändras. Ändra fakturan i Fortnox, eller "
        "kreditera den för att annullera affären."
    )
    english = say("status.failed.order_invoiced", "en", number=str(invoice.DocumentNumber))
    async with harness.services.session_factory() as session:
        asked_in_english = await order_status(session, harness.installation_id, order_id, "en")
    assert asked_in_english["message"] == english


@pytest.mark.parametrize(
    ("how", "text"), [("deleted", "status.sent_deleted"), ("moved_back", "status.sent_not_won")]
)
async def test_a_deal_whose_order_was_invoiced_and_that_ends_names_the_invoice_to_cancel(
    linked: SyncHarness, how: str, text: str
) -> None:
    """Fortnox refuses to cancel an invoiced order: the rep is told to have its invoice
    cancelled (or credited), as the job's own result says."""
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    made = str(((await sync_order(harness, order_id)).result or {})["fortnox_order"])
    context = await context_of(harness)
    invoice = str((await context.fortnox.create_invoice_from_order(int(made))).DocumentNumber)
    await EventFeed(harness).sync()  # the invoice is linked to the deal
    if how == "deleted":
        harness.upsales.delete_entity(
            harness.demo.customer_id, "orders", order_id, fire_hooks=False
        )
    else:
        stage = {"id": harness.demo.stage_offer_id}
        edit(harness, "orders", order_id, {"probability": 50, "stage": stage})
    assert (await sync_order(harness, order_id)).status == JobStatus.DONE

    status = await _status(harness, order_id)
    assert status["status"] == "sent"
    assert status["message"] == say(text, document=say("document.invoice"), number=invoice)
    assert f"order {made}" not in status["message"]
