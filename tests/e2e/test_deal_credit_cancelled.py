"""A deal won in Upsales whose invoice the bookkeeper credits by mistake and then cancels that
credit (before booking it): the credit credits nothing, so the deal, moved to lost by the
credit, is won again, whether or not Fortnox clears the invoice's ``CreditInvoiceReference``
as the credit is cancelled (*unverified*; the sandbox gives both answers)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import won_and_invoiced


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
