"""A deal won in Upsales whose invoice the bookkeeper credits by mistake and then cancels that
credit (before booking it): the credit credits nothing, so the deal, moved to lost by the
credit, is won again, whether or not Fortnox clears the invoice's ``CreditInvoiceReference``
as the credit is cancelled (*unverified*; the sandbox gives both answers)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import sync_order, win, won_and_invoiced
from upsales_fortnox.vocabulary import JobStatus, SyncType


@pytest.mark.parametrize("clears", [False, True], ids=["kept", "cleared"])
@pytest.mark.parametrize("credit_invoices", [False, True])
async def test_a_deals_invoice_whose_credit_is_cancelled_wins_the_deal_back(
    linked: SyncHarness, clears: bool, credit_invoices: bool
) -> None:
    harness = linked
    await harness.update_settings(credit_invoices=credit_invoices)
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = clears
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    won = harness.upsales_entity("orders", order_id)
    assert won is not None
    assert (won["probability"], won["stage"]["id"]) == (100, harness.demo.stage_won_id)


@pytest.mark.parametrize("clears", [False, True], ids=["kept", "cleared"])
async def test_a_deals_order_whose_invoices_credit_is_cancelled_wins_the_deal_back(
    linked: SyncHarness, clears: bool
) -> None:
    """Sent as a Fortnox order, which the bookkeeper invoiced, booked and credited (the deal is
    lost), then cancelled that credit: the deal is won again, its rows as the sales rep made
    them."""
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=True)
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = clears
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    rows_before = _rows(harness, order_id)
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(int(sent.result["fortnox_order"]))
    await feed.sync()
    await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/credit")
    await feed.sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0

    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    won = harness.upsales_entity("orders", order_id)
    assert won is not None and won["probability"] == 100
    assert _rows(harness, order_id) == rows_before


def _rows(harness: SyncHarness, order_id: int) -> list[tuple[int, object, object]]:
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    return [(row["product"]["id"], row["quantity"], row["price"]) for row in order["orderRow"]]
