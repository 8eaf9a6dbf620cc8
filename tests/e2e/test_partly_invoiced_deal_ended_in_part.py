"""A deal sent as a Fortnox order that the bookkeeper invoiced in part: the delivered part
became invoice A, and Fortnox split the rest off into a backorder ("restorder"), which may have
been invoiced in turn (invoice B). When A is cancelled or credited in full, the rest of the deal
still lives in Fortnox (the open backorder, or B): the deal stays won. Once the rest ends too,
nothing of the deal lives in Fortnox any more, and it goes to lost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import edit, fortnox_list, sync_order, win
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus, SyncType


async def _partly_invoiced(harness: SyncHarness, *, rest_invoiced: bool) -> tuple[int, int, int]:
    """The deal won today and sent as an order; one of each row delivered and invoiced (A),
    the rest split off into a backorder, invoiced too (B) when ``rest_invoiced``; every event
    synced. Invoice A's number, the backorder's, and the rest's document: invoice B, or the
    backorder."""
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, date=dt.date.today().isoformat())
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    number = int((first.result or {})["fortnox_order"])
    context = await context_of(harness)
    sent = await context.fortnox.get_order(number)
    delivered = [
        row.model_copy(update={"DeliveredQuantity": Decimal(1)}) for row in sent.OrderRows or []
    ]
    await context.fortnox.update_order(number, Order(OrderRows=delivered))
    invoice = await context.fortnox.create_invoice_from_order(number)
    assert invoice.DocumentNumber is not None
    await EventFeed(harness).sync()
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    rest = int(backorder["DocumentNumber"])
    if rest_invoiced:
        made = await context.fortnox.create_invoice_from_order(rest)
        assert made.DocumentNumber is not None
        rest = made.DocumentNumber
        await EventFeed(harness).sync()
    assert _probability(harness) == 100
    return invoice.DocumentNumber, int(backorder["DocumentNumber"]), rest


async def _end_invoice(harness: SyncHarness, number: int, how: str) -> None:
    """Cancel the invoice, or book and credit it in full; its events synced."""
    if how == "cancelled":
        await fortnox_call(harness, "PUT", f"/invoices/{number}/cancel")
    else:
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
        await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await EventFeed(harness).sync()


def _probability(harness: SyncHarness) -> int:
    deal = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert deal is not None
    probability: int = deal["probability"]
    return probability


@pytest.mark.parametrize("how", ["cancelled", "credited"])
@pytest.mark.parametrize("rest_invoiced", [False, True], ids=["backorder_open", "rest_invoiced"])
async def test_a_deal_stays_won_while_the_rest_of_its_partly_invoiced_order_lives(
    linked: SyncHarness, how: str, rest_invoiced: bool
) -> None:
    harness = linked
    invoice, _, _ = await _partly_invoiced(harness, rest_invoiced=rest_invoiced)
    today = dt.date.today()

    await _end_invoice(harness, invoice, how)

    assert _probability(harness) == 100  # the rest is still being delivered or invoiced
    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]


@pytest.mark.parametrize("how", ["cancelled", "credited"])
@pytest.mark.parametrize("rest_invoiced", [False, True], ids=["backorder_open", "rest_invoiced"])
async def test_a_partly_invoiced_deal_is_lost_once_its_rest_ends_too(
    linked: SyncHarness, how: str, rest_invoiced: bool
) -> None:
    harness = linked
    invoice, _, rest = await _partly_invoiced(harness, rest_invoiced=rest_invoiced)
    today = dt.date.today()
    await _end_invoice(harness, invoice, how)
    assert _probability(harness) == 100

    if rest_invoiced:
        await _end_invoice(harness, rest, how)
    else:
        await fortnox_call(harness, "PUT", f"/orders/{rest}/cancel")
        await EventFeed(harness).sync()

    assert _probability(harness) == 0
    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]


async def test_the_full_credit_of_the_rest_ends_the_deal_by_the_credit_invoice_alone(
    linked: SyncHarness,
) -> None:
    """Invoice B (of the backorder) carries the deal's reference but no link: its full credit
    ends the deal even when only the credit invoice's event arrives (whether Fortnox also
    sends one of B's own is not known)."""
    harness = linked
    invoice, _, rest = await _partly_invoiced(harness, rest_invoiced=True)
    await _end_invoice(harness, invoice, "cancelled")
    assert _probability(harness) == 100

    await fortnox_call(harness, "PUT", f"/invoices/{rest}/bookkeep")
    await fortnox_call(harness, "PUT", f"/invoices/{rest}/credit")
    feed = EventFeed(harness)
    events = feed.new_events()
    await feed.enqueue(e for e in events if str(e["entityId"]) != str(rest))
    await harness.run_jobs()

    assert _probability(harness) == 0


async def test_a_change_to_a_deal_whose_rest_was_invoiced_makes_no_order_beside_it(
    linked: SyncHarness,
) -> None:
    """Invoice A ended while invoice B (of the backorder) lives: the deal is won, and a change
    to it is not sent as a new order with all its rows, which would repeat the rest B holds;
    it stops as locked for people to resolve."""
    harness = linked
    invoice, _, _ = await _partly_invoiced(harness, rest_invoiced=True)
    await _end_invoice(harness, invoice, "cancelled")
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
    invoice, _, _ = await _partly_invoiced(harness, rest_invoiced=False)
    await _end_invoice(harness, invoice, "cancelled")

    async with harness.services.session_factory() as session:
        status = await order_status(session, harness.installation_id, harness.demo.opportunity_id)
    assert _probability(harness) == 100
    assert status["status"] == "cancelled"
    assert f"faktura {invoice}" in status["message"]
    assert "flyttades till förlorad" not in status["message"]  # it was not: the rest lives
    assert "om inget annat av den finns kvar i Fortnox" in status["message"]
