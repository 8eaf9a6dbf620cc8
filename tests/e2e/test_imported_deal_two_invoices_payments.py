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


async def _imported_and_invoiced_in_two_parts(harness: SyncHarness) -> tuple[int, int, int]:
    """Payment status on; the deal imported and invoiced in two parts, both invoices booked and
    every event synced: the deal's id and the two invoices' numbers."""
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "order")
    made = await context.fortnox.get_order(imported)
    part = [r.model_copy(update={"DeliveredQuantity": Decimal(4)}) for r in made.OrderRows or []]
    await context.fortnox.update_order(imported, Order(OrderRows=part))
    first = await context.fortnox.create_invoice_from_order(imported)
    await feed.sync()
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    rest = await context.fortnox.create_invoice_from_order(int(backorder["DocumentNumber"]))
    assert first.DocumentNumber is not None and rest.DocumentNumber is not None
    for number in (first.DocumentNumber, rest.DocumentNumber):
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    await feed.sync()
    return deal["id"], first.DocumentNumber, rest.DocumentNumber


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
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "order")
    made = await context.fortnox.get_order(imported)
    part = [r.model_copy(update={"DeliveredQuantity": Decimal(4)}) for r in made.OrderRows or []]
    await context.fortnox.update_order(imported, Order(OrderRows=part))
    first = await context.fortnox.create_invoice_from_order(imported)
    assert first.DocumentNumber is not None
    await fortnox_call(harness, "PUT", f"/invoices/{first.DocumentNumber}/bookkeep")
    await feed.sync()
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    owed = total_of(harness, first.DocumentNumber) + Decimal(str(backorder["Total"]))

    await pay(harness, str(first.DocumentNumber), "500")
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
    firsts = []
    for deal, number in imported:
        made = await context.fortnox.get_order(number)
        part = [
            r.model_copy(update={"DeliveredQuantity": Decimal(4)}) for r in made.OrderRows or []
        ]
        await context.fortnox.update_order(number, Order(OrderRows=part))
        first = await context.fortnox.create_invoice_from_order(number)
        assert first.DocumentNumber is not None
        await fortnox_call(harness, "PUT", f"/invoices/{first.DocumentNumber}/bookkeep")
        firsts.append((deal["id"], first.DocumentNumber))
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
