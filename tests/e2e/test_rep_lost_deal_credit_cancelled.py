"""A deal the sales rep moved to lost before its invoice's credit was synced: the sync found it
lost already, so the credit's cancellation later leaves it lost (the rep's lost is not the
credit's). One the credit moved to lost is won again (``test_deal_credit_cancelled``)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, rep_loses_deal
from tests.e2e.outbound_support import won_and_invoiced


@pytest.mark.parametrize("clears", [False, True], ids=["kept", "cleared"])
async def test_a_deal_the_rep_lost_stays_lost_when_its_credit_is_cancelled(
    linked: SyncHarness, clears: bool
) -> None:
    harness = linked
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = clears
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    rep_loses_deal(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await feed.sync()

    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    assert (order["stage"]["id"], order["probability"]) == (harness.demo.stage_lost_id, 0)
