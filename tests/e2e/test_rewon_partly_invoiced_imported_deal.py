"""A deal imported from a Fortnox order (made there, no outbound reference) that the bookkeeper
invoiced in part: the delivered part became an invoice, and Fortnox split the rest off into a
backorder, which carries no reference of the deal either. The invoice is then cancelled while
the rest lives in that backorder; the deal is then won again in Upsales. Fortnox must not hold
the rest twice: the deal takes the open backorder (found by its customer and rows), linked as
Fortnox has it, and no new order is made beside it; the backorder's cancellation then ends it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import imported_deal
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import fortnox_list, link_of, sync_order, win
from tests.e2e.test_inbound_documents import order_module
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.vocabulary import LinkEntity

__all__ = ["order_module"]


def _open_orders(harness: SyncHarness) -> list[dict[str, Any]]:
    return [
        o
        for o in fortnox_list(harness, "orders")
        if not o["Cancelled"] and not int(o["InvoiceReference"] or 0)
    ]


async def _imported_and_invoiced_in_part(
    harness: SyncHarness, feed: EventFeed
) -> tuple[dict[str, Any], int, int]:
    """A deal imported from an order made in Fortnox, 4 of its 10 invoiced there (Fortnox
    splits its rest off into a backorder), all synced: the deal, the order's and the invoice's
    numbers."""
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "order")
    made = await context.fortnox.get_order(imported)
    part = [r.model_copy(update={"DeliveredQuantity": Decimal(4)}) for r in made.OrderRows or []]
    await context.fortnox.update_order(imported, Order(OrderRows=part))
    invoice = await context.fortnox.create_invoice_from_order(imported)
    assert invoice.DocumentNumber is not None
    await feed.sync()
    return deal, imported, invoice.DocumentNumber


async def _invoiced_in_part(
    harness: SyncHarness, feed: EventFeed
) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """The first such deal: the deal, the invoice's number and the (only) backorder."""
    deal, _, invoice = await _imported_and_invoiced_in_part(harness, feed)
    (backorder,) = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    return deal, invoice, backorder


async def test_an_imported_deal_won_again_beside_its_open_backorder_makes_no_new_order(
    order_module: SyncHarness,
) -> None:
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, invoice, backorder = await _invoiced_in_part(harness, feed)
    backorder_rows = (await context.fortnox.get_order(int(backorder["DocumentNumber"]))).OrderRows
    await fortnox_call(harness, "PUT", f"/invoices/{invoice}/cancel")
    await feed.sync()

    win(harness, deal["id"])  # moved to lost, or left won: the sales rep wins it (again)
    again = await sync_order(harness, deal["id"])

    open_orders = _open_orders(harness)
    assert [o["DocumentNumber"] for o in open_orders] == [backorder["DocumentNumber"]], (
        again.status,
        again.result,
        again.last_error,
    )
    assert (again.result or {})["fortnox_order"] == str(backorder["DocumentNumber"])
    link = await link_of(harness, LinkEntity.ORDER, deal["id"])
    assert link is not None and link.fortnox_id == str(backorder["DocumentNumber"]), link
    taken = await context.fortnox.get_order(int(backorder["DocumentNumber"]))
    assert taken.OrderRows == backorder_rows  # left as Fortnox has it

    await fortnox_call(harness, "PUT", f"/orders/{backorder['DocumentNumber']}/cancel")
    await feed.sync()
    ended = harness.upsales_entity("orders", deal["id"])
    assert ended is not None and ended["probability"] == 0  # nothing of it lives now


async def test_an_imported_deal_stays_won_while_its_open_backorder_lives(
    order_module: SyncHarness,
) -> None:
    """The partial invoice of the order made in Fortnox is cancelled while its rest lives in the
    open backorder (no reference of the deal): the deal stays won, that backorder its document
    now; the backorder's own cancellation then moves it to lost."""
    harness = order_module
    feed = EventFeed(harness)
    deal, invoice, backorder = await _invoiced_in_part(harness, feed)
    orders = len(harness.upsales_entities("orders"))

    await fortnox_call(harness, "PUT", f"/invoices/{invoice}/cancel")
    await feed.sync()

    kept = harness.upsales_entity("orders", deal["id"])
    assert kept is not None and kept["probability"] == 100  # the rest lives in the backorder
    link = await link_of(harness, LinkEntity.ORDER, deal["id"])
    assert link is not None and link.fortnox_id == str(backorder["DocumentNumber"]), link

    await fortnox_call(harness, "PUT", f"/orders/{backorder['DocumentNumber']}/cancel")
    await feed.sync()
    ended = harness.upsales_entity("orders", deal["id"])
    assert ended is not None and ended["probability"] == 0  # nothing of it lives now
    assert len(harness.upsales_entities("orders")) == orders  # the backorder never imported


async def test_alike_backorders_of_two_imported_deals_are_not_taken_for_each_other(
    order_module: SyncHarness,
) -> None:
    """Two orders made in Fortnox for the same customer and article, each invoiced in part
    short of the same stock, leave alike backorders (no reference of either deal). The first
    order's rest could be either one made after it, by their rows: its deal takes neither (it
    goes to lost, as when no backorder is found) rather than the second deal's rest, which the
    second deal, whose invoice is cancelled too, then takes (the only backorder made after its
    order)."""
    harness = order_module
    feed = EventFeed(harness)
    first, first_invoice, _ = await _invoiced_in_part(harness, feed)
    second, _, second_invoice = await _imported_and_invoiced_in_part(harness, feed)
    backorders = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    second_rest = str(max(int(o["DocumentNumber"]) for o in backorders))
    assert len(backorders) == 2

    await fortnox_call(harness, "PUT", f"/invoices/{first_invoice}/cancel")
    await fortnox_call(harness, "PUT", f"/invoices/{second_invoice}/cancel")
    await feed.sync()

    numbers = {str(o["DocumentNumber"]) for o in backorders}
    link = await link_of(harness, LinkEntity.ORDER, first["id"])
    assert link is None or link.fortnox_id not in numbers, link
    ended = harness.upsales_entity("orders", first["id"])
    assert ended is not None and ended["probability"] == 0
    link = await link_of(harness, LinkEntity.ORDER, second["id"])
    assert link is not None and link.fortnox_id == second_rest, link
    kept = harness.upsales_entity("orders", second["id"])
    assert kept is not None and kept["probability"] == 100


async def test_a_backorder_another_deal_took_is_not_taken_again(
    order_module: SyncHarness,
) -> None:
    """The first order's own backorder was cancelled; the second order's, alike, is the only
    one that fits it by its rows, but the second deal took it already: the first deal's
    cancelled invoice leaves it to that deal (the first goes to lost), and the sync goes on."""
    harness = order_module
    feed = EventFeed(harness)
    first, first_invoice, own_rest = await _invoiced_in_part(harness, feed)
    await fortnox_call(harness, "PUT", f"/orders/{own_rest['DocumentNumber']}/cancel")
    second, second_made, second_invoice = await _imported_and_invoiced_in_part(harness, feed)
    await fortnox_call(harness, "PUT", f"/invoices/{second_invoice}/cancel")
    await feed.sync()
    taken = await link_of(harness, LinkEntity.ORDER, second["id"])
    assert taken is not None and taken.fortnox_id != str(second_made)

    await fortnox_call(harness, "PUT", f"/invoices/{first_invoice}/cancel")
    await feed.sync()

    link = await link_of(harness, LinkEntity.ORDER, first["id"])
    assert link is None or link.fortnox_id != taken.fortnox_id, link
    ended = harness.upsales_entity("orders", first["id"])
    assert ended is not None and ended["probability"] == 0
    assert await link_of(harness, LinkEntity.ORDER, second["id"]) == taken

    win(harness, first["id"])  # won again: the backorder the second deal took is not its own
    again = await sync_order(harness, first["id"])

    assert again.status == "done", (again.status, again.last_error)
    link = await link_of(harness, LinkEntity.ORDER, first["id"])
    assert link is None or link.fortnox_id != taken.fortnox_id, link
    assert await link_of(harness, LinkEntity.ORDER, second["id"]) == taken


async def test_another_deals_invoiced_rest_does_not_lock_a_deal_won_again(
    order_module: SyncHarness,
) -> None:
    """The first order's own backorder was cancelled; the second order's, alike, fits it by its
    rows, but the second deal took it and it was then invoiced (that invoice lives). It is not
    the first deal's rest: the first deal, won again, gets a new order, not a lock."""
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    first, first_invoice, own_rest = await _invoiced_in_part(harness, feed)
    await fortnox_call(harness, "PUT", f"/orders/{own_rest['DocumentNumber']}/cancel")
    second, _, second_invoice = await _imported_and_invoiced_in_part(harness, feed)
    await fortnox_call(harness, "PUT", f"/invoices/{second_invoice}/cancel")
    await feed.sync()
    taken = await link_of(harness, LinkEntity.ORDER, second["id"])
    assert taken is not None
    await context.fortnox.create_invoice_from_order(int(taken.fortnox_id))
    await fortnox_call(harness, "PUT", f"/invoices/{first_invoice}/cancel")
    await feed.sync()

    win(harness, first["id"])
    again = await sync_order(harness, first["id"])

    assert again.status == "done", (again.status, again.last_error)
    link = await link_of(harness, LinkEntity.ORDER, first["id"])
    assert link is not None and link.fortnox_id != taken.fortnox_id, link
    assert link.fortnox_id in {str(o["DocumentNumber"]) for o in _open_orders(harness)}


async def test_alike_invoiced_rests_lock_an_imported_deal_won_again(
    order_module: SyncHarness,
) -> None:
    """Two orders made in Fortnox short of the same stock, each rest invoiced from its alike
    backorder (no reference of either deal; both invoices live). Either may be the first order's
    rest, so a new order could repeat it: the first deal, won again after its own partial
    invoice was cancelled, stops as locked, and no order is made."""
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    first, first_invoice, _ = await _invoiced_in_part(harness, feed)
    await _imported_and_invoiced_in_part(harness, feed)
    backorders = [o for o in fortnox_list(harness, "orders") if o["OrderType"] == "Backorder"]
    assert len(backorders) == 2
    for backorder in backorders:
        await context.fortnox.create_invoice_from_order(int(backorder["DocumentNumber"]))
    await fortnox_call(harness, "PUT", f"/invoices/{first_invoice}/cancel")
    await feed.sync()
    orders = len(fortnox_list(harness, "orders"))

    win(harness, first["id"])
    again = await sync_order(harness, first["id"])

    assert (again.last_error or "").startswith("fortnox_document_locked"), again.last_error
    assert len(fortnox_list(harness, "orders")) == orders  # no order beside either rest


async def test_an_imported_deal_whose_rest_was_invoiced_stops_as_locked(
    order_module: SyncHarness,
) -> None:
    """The order made in Fortnox was invoiced in part, then its rest from its backorder (that
    invoice lives); the first invoice is cancelled. The deal won again gets no new order beside
    the rest, alone of its kind and no other deal's: it stops as locked."""
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, invoice, backorder = await _invoiced_in_part(harness, feed)
    await context.fortnox.create_invoice_from_order(int(backorder["DocumentNumber"]))
    await fortnox_call(harness, "PUT", f"/invoices/{invoice}/cancel")
    await feed.sync()
    orders = len(fortnox_list(harness, "orders"))

    win(harness, deal["id"])
    again = await sync_order(harness, deal["id"])

    assert (again.last_error or "").startswith("fortnox_document_locked"), again.last_error
    assert len(fortnox_list(harness, "orders")) == orders  # no order beside the invoiced rest
