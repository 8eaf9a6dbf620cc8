"""A deal sent as a Fortnox order that the bookkeeper invoiced in part: one of each row
delivered and invoiced (invoice A), the rest split off into a backorder, which may be invoiced in
turn (invoice B); and the ending of an invoice (cancelled, or booked and credited in full)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import fortnox_list, fortnox_today, sync_order, win
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.vocabulary import JobStatus, SyncType


@dataclass(frozen=True)
class PartlyInvoiced:
    order: int
    """The deal's Fortnox order."""
    invoice: int
    """Invoice A, of the delivered part."""
    backorder: int
    rest: int
    """Where the rest lives: invoice B, or the backorder."""


def deal_probability(harness: SyncHarness) -> int:
    deal = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert deal is not None
    probability: int = deal["probability"]
    return probability


async def partly_invoiced(harness: SyncHarness, *, rest_invoiced: bool) -> PartlyInvoiced:
    """The deal won today and sent as an order, then invoiced in part (the backorder invoiced
    too when ``rest_invoiced``); every event synced, the deal still won."""
    await harness.update_settings(sync_type=SyncType.ORDER, credit_invoices=True)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, date=fortnox_today(harness).isoformat())
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
    assert deal_probability(harness) == 100
    return PartlyInvoiced(number, invoice.DocumentNumber, int(backorder["DocumentNumber"]), rest)


async def end_invoice(harness: SyncHarness, number: int, how: str) -> None:
    """Cancel the invoice (``how`` "cancelled"), or book and credit it in full; its events
    synced."""
    if how == "cancelled":
        await fortnox_call(harness, "PUT", f"/invoices/{number}/cancel")
    else:
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
        await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await EventFeed(harness).sync()
