"""A deal sent as a Fortnox order that the bookkeeper invoiced in part: the delivered part
became invoice A, and Fortnox split the rest off into a backorder ("restorder"), which may have
been invoiced in turn (invoice B). When A is cancelled or credited in full, the rest of the deal
still lives in Fortnox (the open backorder, or B): the deal stays won. Once the rest ends too,
nothing of the deal lives in Fortnox any more, and it goes to lost."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, fortnox_list, fortnox_today, sync_order
from tests.e2e.partly_invoiced_support import deal_probability, end_invoice, partly_invoiced
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus


@pytest.mark.parametrize("how", ["cancelled", "credited"])
@pytest.mark.parametrize("rest_invoiced", [False, True], ids=["backorder_open", "rest_invoiced"])
async def test_a_deal_stays_won_while_the_rest_of_its_partly_invoiced_order_lives(
    linked: SyncHarness, how: str, rest_invoiced: bool
) -> None:
    harness = linked
    invoice = (await partly_invoiced(harness, rest_invoiced=rest_invoiced)).invoice
    today = fortnox_today(harness)

    await end_invoice(harness, invoice, how)

    assert deal_probability(harness) == 100  # the rest is still being delivered or invoiced
    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]


@pytest.mark.parametrize("how", ["cancelled", "credited"])
@pytest.mark.parametrize("rest_invoiced", [False, True], ids=["backorder_open", "rest_invoiced"])
async def test_a_partly_invoiced_deal_is_lost_once_its_rest_ends_too(
    linked: SyncHarness, how: str, rest_invoiced: bool
) -> None:
    harness = linked
    parts = await partly_invoiced(harness, rest_invoiced=rest_invoiced)
    invoice, rest = parts.invoice, parts.rest
    today = fortnox_today(harness)
    await end_invoice(harness, invoice, how)
    assert deal_probability(harness) == 100

    if rest_invoiced:
        await end_invoice(harness, rest, how)
    else:
        await fortnox_call(harness, "PUT", f"/orders/{rest}/cancel")
        await EventFeed(harness).sync()

    assert deal_probability(harness) == 0
    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]


async def test_the_full_credit_of_the_rest_ends_the_deal_by_the_credit_invoice_alone(
    linked: SyncHarness,
) -> None:
    """Invoice B (of the backorder) carries the deal's reference but no link: its full credit
    ends the deal even when only the credit invoice's event arrives (whether Fortnox also
    sends one of B's own is not known)."""
    harness = linked
    parts = await partly_invoiced(harness, rest_invoiced=True)
    invoice, rest = parts.invoice, parts.rest
    await end_invoice(harness, invoice, "cancelled")
    assert deal_probability(harness) == 100

    await fortnox_call(harness, "PUT", f"/invoices/{rest}/bookkeep")
    await fortnox_call(harness, "PUT", f"/invoices/{rest}/credit")
    feed = EventFeed(harness)
    events = feed.new_events()
    await feed.enqueue(e for e in events if str(e["entityId"]) != str(rest))
    await harness.run_jobs()

    assert deal_probability(harness) == 0


async def test_a_change_to_a_deal_whose_rest_was_invoiced_makes_no_order_beside_it(
    linked: SyncHarness,
) -> None:
    """Invoice A ended while invoice B (of the backorder) lives: the deal is won, and a change
    to it is not sent as a new order with all its rows, which would repeat the rest B holds;
    it stops as locked for people to resolve."""
    harness = linked
    invoice = (await partly_invoiced(harness, rest_invoiced=True)).invoice
    await end_invoice(harness, invoice, "cancelled")
    orders_before = len(fortnox_list(harness, "orders"))
    order_id = harness.demo.opportunity_id
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 1} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})

    changed = await sync_order(harness, order_id)

    assert changed.status == JobStatus.DEAD
    assert (changed.last_error or "").startswith("fortnox_document_locked"), changed.last_error
    assert len(fortnox_list(harness, "orders")) == orders_before


async def test_the_sales_rep_is_not_told_a_deal_whose_rest_lives_was_moved_to_lost(
    linked: SyncHarness,
) -> None:
    harness = linked
    invoice = (await partly_invoiced(harness, rest_invoiced=False)).invoice
    await end_invoice(harness, invoice, "cancelled")

    async with harness.services.session_factory() as session:
        status = await order_status(session, harness.installation_id, harness.demo.opportunity_id)
    assert deal_probability(harness) == 100
    assert status["status"] == "cancelled"
    assert f"faktura {invoice}" in status["message"]
    assert "flyttades till förlorad" not in status["message"]  # it was not: the rest lives
    assert "om inget annat av den finns kvar i Fortnox" in status["message"]
