"""The reconciliation report of a deal whose Upsales order and Fortnox document fall in
different periods: a deal won with an earlier date than the day its invoice is made (the
opportunity's planned date, or a deal won after midnight). Each period that holds either side
compares the pair, so neither reports the invoice missing in Upsales, and a lost order whose
invoice is open is found in the invoice's period too. Each side's amount counts in its own
period only, the other period naming it as dated elsewhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, sync_order, win
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.vocabulary import JobStatus


def fortnox_today(harness: SyncHarness) -> dt.date:
    return harness.fortnox.tenant(harness.tenant_id).today()


async def won_days_before(harness: SyncHarness, days: int) -> tuple[int, str, dt.date]:
    """The demo's opportunity won with a date ``days`` before today, sent: the order, its
    invoice's number and the order's date."""
    order_id = harness.demo.opportunity_id
    dated = fortnox_today(harness) - dt.timedelta(days=days)
    win(harness, order_id, date=dated.isoformat())
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    return order_id, str((sent.result or {})["fortnox_invoice"]), dated


async def test_an_invoice_made_after_its_orders_day_is_no_difference_in_either_period(
    linked: SyncHarness,
) -> None:
    harness = linked
    _, invoice, dated = await won_days_before(harness, 3)
    today = fortnox_today(harness)

    in_the_invoices_period = await report(harness, today, today)
    in_the_orders_period = await report(harness, dated, dated)

    assert in_the_invoices_period["clean"] is True, in_the_invoices_period["differences"]
    assert in_the_orders_period["clean"] is True, in_the_orders_period["differences"]
    # each side counts in its own period only, and each period names the side dated elsewhere
    net = harness.fortnox_entity("invoices", invoice)["Net"]  # type: ignore[index]
    counted = {"SEK": {"count": 1, "net": f"{Decimal(str(net)):.2f}"}}
    assert in_the_invoices_period["upsales"] == {}
    assert in_the_invoices_period["fortnox"] == counted
    assert in_the_invoices_period["timing"]["SEK"]["wonInOtherPeriod"] == counted["SEK"]
    assert in_the_orders_period["upsales"] == counted
    assert in_the_orders_period["fortnox"] == {}
    assert in_the_orders_period["timing"]["SEK"]["documentedInOtherPeriod"] == counted["SEK"]
    assert in_the_orders_period["ledger"] == {}  # the invoice is in its own period's books
    assert in_the_invoices_period["ledger"]["SEK"]["invoiced"] == counted["SEK"]


async def test_a_lost_order_of_an_earlier_day_differs_from_its_open_invoice(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id, invoice, _ = await won_days_before(harness, 3)
    edit(harness, "orders", order_id, {"probability": 0})  # lost by hand, the invoice open
    today = fortnox_today(harness)

    found = await report(harness, today, today)

    differences = [
        (d["kind"], d["upsalesOrder"], d["fortnoxDocument"]) for d in found["differences"]
    ]
    assert differences == [("stage_differs", order_id, f"invoice {invoice}")]


async def test_a_deal_taken_back_from_won_while_its_invoice_is_open_differs(
    linked: SyncHarness,
) -> None:
    """The sales rep moved the won deal back to an opportunity (75 %) after its invoice was
    made: Upsales no longer counts it, Fortnox does; the report names the pair instead of
    calling totals that disagree clean."""
    harness = linked
    order_id, invoice, dated = await won_days_before(harness, 0)
    edit(harness, "orders", order_id, {"probability": 75})

    found = await report(harness, dated, dated)

    assert found["upsales"] == {} and found["fortnox"]["SEK"]["count"] == 1
    assert found["clean"] is False
    differences = [
        (d["kind"], d["upsalesOrder"], d["fortnoxDocument"], d["repair"]["jobKind"])
        for d in found["differences"]
    ]
    assert differences == [("stage_differs", order_id, f"invoice {invoice}", "upsales.order")]
