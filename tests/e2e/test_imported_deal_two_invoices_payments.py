"""The payment status of a deal imported from an order the bookkeeper made in Fortnox and then
invoiced in two parts: 4 of its 10 hours invoiced (invoice A), the rest split off into a
backorder and invoiced in turn (invoice B). Neither the backorder nor invoice B carries a
reference of the deal; the deal owns both invoices all the same, and shows the money of both."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import imported_deal
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import fortnox_list
from tests.e2e.test_inbound_documents import order_module
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_partly_invoiced_payments import total_of
from tests.e2e.test_payment_status import DAY, expected, payment_fields
from upsales_fortnox.integrations.fortnox.models import Order

__all__ = ["order_module"]


async def _invoiced_in_part(harness: SyncHarness, number: int) -> int:
    """4 of the order's 10 hours delivered and invoiced (Fortnox splits the rest off into a
    backorder), the invoice booked: its number."""
    context = await context_of(harness)
    made = await context.fortnox.get_order(number)
    part = [r.model_copy(update={"DeliveredQuantity": Decimal(4)}) for r in made.OrderRows or []]
    await context.fortnox.update_order(number, Order(OrderRows=part))
    first = await context.fortnox.create_invoice_from_order(number)
    assert first.DocumentNumber is not None
    await fortnox_call(harness, "PUT", f"/invoices/{first.DocumentNumber}/bookkeep")
    return first.DocumentNumber


async def _imported_and_invoiced_in_two_parts(harness: SyncHarness) -> tuple[int, int, int]:
    """Payment status on; the deal imported and invoiced in two parts, both invoices booked and
    every event synced: the deal's id and the two invoices' numbers."""
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "order")
    first = await _invoiced_in_part(harness, imported)
    await feed.sync()
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    rest = await context.fortnox.create_invoice_from_order(int(backorder["DocumentNumber"]))
    assert rest.DocumentNumber is not None
    await fortnox_call(harness, "PUT", f"/invoices/{rest.DocumentNumber}/bookkeep")
    await feed.sync()
    return deal["id"], first, rest.DocumentNumber


async def test_a_payment_of_the_second_invoice_reaches_the_imported_deal(
    order_module: SyncHarness,
) -> None:
    harness = order_module
    deal_id, first_number, rest_number = await _imported_and_invoiced_in_two_parts(harness)
    first, rest = total_of(harness, first_number), total_of(harness, rest_number)
    assert payment_fields(harness, deal_id) == expected("open", "0.00", f"{first + rest:.2f}", "")

    await pay(harness, str(rest_number), "1000")
    await EventFeed(harness).sync()
    assert payment_fields(harness, deal_id) == expected(
        "partly_paid", "1000.00", f"{first + rest - 1000:.2f}", DAY
    )

    await pay(harness, str(first_number), str(first))
    await pay(harness, str(rest_number), str(rest - 1000))
    await EventFeed(harness).sync()
    assert payment_fields(harness, deal_id) == expected("paid", f"{first + rest:.2f}", "0.00", DAY)


async def test_the_rest_not_yet_invoiced_is_left_to_pay_on_the_imported_deal(
    order_module: SyncHarness,
) -> None:
    """The backorder still open: its total is the deal's too, as for a deal sent as an order."""
    harness = order_module
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    deal, imported = await imported_deal(harness, "order")
    first = await _invoiced_in_part(harness, imported)
    await feed.sync()
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    owed = total_of(harness, first) + Decimal(str(backorder["Total"]))

    await pay(harness, str(first), "500")
    await feed.sync()
    assert payment_fields(harness, deal["id"]) == expected(
        "partly_paid", "500.00", f"{owed - 500:.2f}", DAY
    )


async def test_alike_rests_of_two_imported_deals_count_for_neither(
    order_module: SyncHarness,
) -> None:
    """Two orders of the customer, both made before either was invoiced, short of the same
    stock: which backorder was split off which cannot be told by their rows, so no deal counts
    either rest (nor its payment)."""
    harness = order_module
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    context = await context_of(harness)
    imported = [await imported_deal(harness, "order") for _ in range(2)]
    firsts = [(deal["id"], await _invoiced_in_part(harness, number)) for deal, number in imported]
    await feed.sync()
    backorders = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    assert len(backorders) == 2
    rest = await context.fortnox.create_invoice_from_order(int(backorders[0]["DocumentNumber"]))
    assert rest.DocumentNumber is not None
    await fortnox_call(harness, "PUT", f"/invoices/{rest.DocumentNumber}/bookkeep")
    await pay(harness, str(rest.DocumentNumber), "1000")
    await feed.sync()

    for deal_id, number in firsts:
        owed = total_of(harness, number)
        assert payment_fields(harness, deal_id) == expected("open", "0.00", f"{owed:.2f}", "")


async def test_a_rest_split_off_a_later_deal_is_not_the_earlier_deals(
    order_module: SyncHarness,
) -> None:
    """The first deal invoiced in part, its backorder cancelled (the rest will not be
    delivered); a later deal of the customer, alike, invoiced in part too: its backorder, made
    after both orders and alike the first's rest, is the later deal's alone. The first deal owes
    its own invoice only, and the later deal's payments do not show on it."""
    harness = order_module
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    context = await context_of(harness)
    first_deal, first_order = await imported_deal(harness, "order")
    first = await _invoiced_in_part(harness, first_order)
    (cancelled,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    await context.fortnox.cancel_order(int(cancelled["DocumentNumber"]))
    await feed.sync()
    later_deal, later_order = await imported_deal(harness, "order")
    later = await _invoiced_in_part(harness, later_order)
    await feed.sync()
    (backorder,) = [
        o
        for o in fortnox_list(harness, "orders")
        if o["OrderType"] == "Backorder" and not o["Cancelled"]
    ]
    rest = await context.fortnox.create_invoice_from_order(int(backorder["DocumentNumber"]))
    assert rest.DocumentNumber is not None
    await fortnox_call(harness, "PUT", f"/invoices/{rest.DocumentNumber}/bookkeep")
    await pay(harness, str(rest.DocumentNumber), "1000")
    await pay(harness, str(first), "500")
    await feed.sync()

    owed = total_of(harness, first)
    assert payment_fields(harness, first_deal["id"]) == expected(
        "partly_paid", "500.00", f"{owed - 500:.2f}", DAY
    )
    owed = total_of(harness, later) + total_of(harness, rest.DocumentNumber)
    assert payment_fields(harness, later_deal["id"]) == expected(
        "partly_paid", "1000.00", f"{owed - 1000:.2f}", DAY
    )
