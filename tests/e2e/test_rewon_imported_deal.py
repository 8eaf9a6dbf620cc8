"""A deal imported from a Fortnox order (no outbound reference) whose invoice was cancelled,
won again in Upsales: it gets a new order, which takes the imported order's link in place. The
imported order's later events must leave the deal with its new order, and make no second
Upsales order."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import imported_deal
from tests.e2e.inbound_support import EventFeed, change_event, context_of
from tests.e2e.outbound_support import link_of, sync_order, win
from tests.e2e.test_inbound_documents import invoice_module, order_module
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

__all__ = ["invoice_module", "order_module"]


async def test_the_imported_orders_later_event_leaves_the_rewon_deal_its_new_order(
    order_module: SyncHarness,
) -> None:
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "order")
    invoice = await context.fortnox.create_invoice_from_order(imported)
    assert invoice.DocumentNumber is not None
    await feed.sync()
    await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    await feed.sync()
    lost = harness.upsales_entity("orders", deal["id"])
    assert lost is not None and lost["probability"] == 0

    await _won_again_then_its_old_documents_event(harness, deal["id"], ("orders", imported))


async def test_the_imported_invoices_later_event_leaves_the_rewon_deal_its_new_invoice(
    invoice_module: SyncHarness,
) -> None:
    """The same with an invoice the bookkeeper made and cancelled: its later event neither
    relinks the deal to it (its next change would go to the cancelled invoice) nor makes an
    Upsales order of it."""
    harness = invoice_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, "invoice")
    await context.fortnox.cancel_invoice(imported)
    await feed.sync()

    await _won_again_then_its_old_documents_event(harness, deal["id"], ("invoices", imported))


async def _won_again_then_its_old_documents_event(
    harness: SyncHarness, deal_id: int, old: tuple[str, int]
) -> None:
    """The lost deal is won again and gets a new document; then an event of its ``old`` one
    (a Fortnox collection and the document's number), late or sent again, is synced. The deal stays
    won and linked to its new document, and no Upsales order is made."""
    collection, number = old
    win(harness, deal_id)  # the customer signs after all
    again = await sync_order(harness, deal_id)
    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created", again.result
    made = (again.result or {})[f"fortnox_{collection.removesuffix('s')}"]
    orders_before = len(harness.upsales_entities("orders"))

    event = change_event(harness, collection, str(number), "900")
    await EventFeed(harness).enqueue([event])
    await harness.run_jobs()

    link = await link_of(harness, LinkEntity.ORDER, deal_id)
    assert link is not None and link.fortnox_id == made, link
    assert len(harness.upsales_entities("orders")) == orders_before
    won = harness.upsales_entity("orders", deal_id)
    assert won is not None and won["probability"] == 100
