"""The payment status of a deal invoiced in part whose rest waits in an open backorder, end to
end against both sandboxes.

What the backorder holds is not invoiced yet: the deal reads neither paid nor with nothing
left while it is open, its total (VAT included) is part of what is left; once it is invoiced
its invoice counts in its place, once cancelled it counts for nothing. Its own events (the
order topic) bring each change to the deal."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import fortnox_today, sync_order, win
from tests.e2e.partly_invoiced_support import PartlyInvoiced, partly_invoiced
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_order_fields_turned_on import turn_on
from tests.e2e.test_partly_invoiced_payments import total_of
from tests.e2e.test_payment_status import DAY, expected, payment_fields
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.vocabulary import JobStatus, SyncType

ORDER_LIST = "GET /3/orders"
ORDER_READ = "GET /3/orders/{DocumentNumber}"
INVOICE_LIST = "GET /3/invoices"


def backorder_total(harness: SyncHarness, number: int) -> Decimal:
    order = harness.fortnox_entity("orders", str(number))
    assert order is not None
    return Decimal(str(order["Total"]))


async def rest_waiting(harness: SyncHarness) -> tuple[PartlyInvoiced, EventFeed]:
    """Payment status on; the deal invoiced in part, its first invoice booked, the backorder of
    its rest open; every event synced by the feed returned."""
    await harness.update_settings(payment_status=True)
    deal = await partly_invoiced(harness, rest_invoiced=False)
    assert deal.rest == deal.backorder
    await fortnox_call(harness, "PUT", f"/invoices/{deal.invoice}/bookkeep")
    feed = EventFeed(harness)
    await feed.sync()
    return deal, feed


async def test_a_deal_whose_rest_is_not_invoiced_never_reads_paid(linked: SyncHarness) -> None:
    harness = linked
    deal, feed = await rest_waiting(harness)
    first, rest = total_of(harness, deal.invoice), backorder_total(harness, deal.backorder)
    order_id = harness.demo.opportunity_id
    assert rest > 0
    assert payment_fields(harness, order_id) == expected("open", "0.00", f"{first + rest:.2f}", "")

    await pay(harness, str(deal.invoice), str(first))
    harness.fortnox.reset_counters()
    await feed.sync()

    assert payment_fields(harness, order_id) == expected(
        "partly_paid", f"{first:.2f}", f"{rest:.2f}", DAY
    )
    calls = harness.fortnox.request_counters().by_route
    # the deal's orders listed in place of its invoices; the backorder read to see it open
    assert calls.get(INVOICE_LIST, 0) == 0
    assert calls[ORDER_LIST] == 1 and calls[ORDER_READ] == 1


async def test_the_rest_invoiced_counts_once_as_its_invoice(linked: SyncHarness) -> None:
    harness = linked
    deal, feed = await rest_waiting(harness)
    first = total_of(harness, deal.invoice)
    await pay(harness, str(deal.invoice), str(first))
    await feed.sync()

    made = await fortnox_call(harness, "PUT", f"/orders/{deal.backorder}/createinvoice")
    rest_invoice = int(made["Invoice"]["DocumentNumber"])
    await feed.sync()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "partly_paid", f"{first:.2f}", f"{total_of(harness, rest_invoice):.2f}", DAY
    )


async def test_the_rest_cancelled_reaches_the_deal_through_its_own_event(
    linked: SyncHarness,
) -> None:
    harness = linked
    deal, feed = await rest_waiting(harness)
    first = total_of(harness, deal.invoice)
    await pay(harness, str(deal.invoice), str(first))
    await feed.sync()

    await fortnox_call(harness, "PUT", f"/orders/{deal.backorder}/cancel")
    events = feed.new_events()
    assert {event["topic"] for event in events} == {"orders"}  # nothing else tells the deal
    await feed.enqueue(events)
    await harness.run_jobs()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "paid", f"{first:.2f}", "0.00", DAY
    )


async def test_the_rest_changed_changes_what_is_left(linked: SyncHarness) -> None:
    harness = linked
    deal, feed = await rest_waiting(harness)
    first = total_of(harness, deal.invoice)
    context = await context_of(harness)
    backorder = await context.fortnox.get_order(deal.backorder)
    (row, *others) = backorder.OrderRows or []
    quantity = (row.OrderedQuantity or 0) + 1
    more = row.model_copy(update={"OrderedQuantity": quantity, "DeliveredQuantity": quantity})
    await context.fortnox.update_order(deal.backorder, Order(OrderRows=[more, *others]))
    rest = backorder_total(harness, deal.backorder)
    assert rest != backorder.Total
    harness.fortnox.reset_counters()
    await feed.sync()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "open", "0.00", f"{first + rest:.2f}", ""
    )
    # the backorder read once, by its own event's job; the deal's orders listed once
    calls = harness.fortnox.request_counters().by_route
    assert calls[ORDER_READ] == 1 and calls[ORDER_LIST] == 1


async def test_a_deal_invoiced_whole_reads_no_order(linked: SyncHarness) -> None:
    """No backorder: the deal's orders are listed (its one list call, as its invoices were)
    and none is read."""
    harness = linked
    await harness.update_settings(sync_type=SyncType.ORDER, payment_status=True)
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, date=fortnox_today(harness).isoformat())
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    number = int((sent.result or {})["fortnox_order"])
    invoice = await fortnox_call(harness, "PUT", f"/orders/{number}/createinvoice")
    invoice_number = int(invoice["Invoice"]["DocumentNumber"])
    await fortnox_call(harness, "PUT", f"/invoices/{invoice_number}/bookkeep")
    await feed.sync()
    total = total_of(harness, invoice_number)

    await pay(harness, str(invoice_number), str(total))
    harness.fortnox.reset_counters()
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("paid", f"{total:.2f}", "0.00", DAY)
    calls = harness.fortnox.request_counters().by_route
    assert calls.get(ORDER_READ, 0) == 0
    assert calls.get(ORDER_LIST, 0) + calls.get(INVOICE_LIST, 0) == 1


async def test_the_refresh_counts_the_rest_waiting(linked: SyncHarness) -> None:
    """Turning ``paymentStatus`` on after the first part was paid shows the rest left too."""
    harness = linked
    deal = await partly_invoiced(harness, rest_invoiced=False)
    await fortnox_call(harness, "PUT", f"/invoices/{deal.invoice}/bookkeep")
    first, rest = total_of(harness, deal.invoice), backorder_total(harness, deal.backorder)
    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()

    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "partly_paid", f"{first:.2f}", f"{rest:.2f}", DAY
    )
