"""A deal won again after the invoice made of its Fortnox order ended, whose new order's
attempt fails part way: its retry must settle on the new order, never on the invoiced one it
set aside (which has the same order reference)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import fortnox_list, link_of, sync_order, win
from tests.e2e.test_rewon_deal import _order_invoiced_then_ended, _status_names
from tests.e2e.won_deal_support import dies_before_the_link, invoices_of
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


@pytest.mark.parametrize("ended", ["cancelled", "credited"])
async def test_a_rewon_deal_whose_new_order_was_made_before_a_crash_links_the_new_order(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, ended: str
) -> None:
    """The new order was created, and the process died before its link was saved: the
    retry finds it by its reference, not the invoiced order the deal set aside."""
    harness = linked
    invoiced = await _order_invoiced_then_ended(harness, ended, seen=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    await dies_before_the_link(harness, monkeypatch, order_id)
    made = [o for o in fortnox_list(harness, "orders") if o["DocumentNumber"] != invoiced]
    assert len(made) == 1
    new = str(made[0]["DocumentNumber"])

    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {}).get("fortnox_order") == new, again.result
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == new
    assert await _status_names(harness, order_id) == {"type": "order", "number": new}
    assert len(fortnox_list(harness, "orders")) == 2


async def test_a_rewon_deal_whose_new_invoice_was_made_before_a_crash_links_the_new_invoice(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent as an invoice, booked and credited in full (the deal is lost; a credited invoice
    is not ``Cancelled`` in Fortnox), won again: the new invoice was created and the process
    died before its link was saved. The retry links the new invoice, not the credited one."""
    harness = linked
    await harness.update_settings(credit_invoices=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    credited = (first.result or {})["fortnox_invoice"]
    await fortnox_call(harness, "PUT", f"/invoices/{credited}/bookkeep")
    await fortnox_call(harness, "PUT", f"/invoices/{credited}/credit")
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0

    win(harness, order_id)
    await dies_before_the_link(harness, monkeypatch, order_id)
    made = [
        i
        for i in invoices_of(harness, order_id)
        if str(i["DocumentNumber"]) != credited and not i["Credit"]
    ]
    assert len(made) == 1
    new = str(made[0]["DocumentNumber"])

    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {}).get("fortnox_invoice") == new, again.result
    assert await _status_names(harness, order_id) == {"type": "invoice", "number": new}
