"""A deal imported from an invoice the bookkeeper made in Fortnox (no outbound reference),
credited (the deal lost) and won again in Upsales (a new invoice): the cancellation of that
credit brings the imported invoice to life again beside the new one, though no event names
the invoice itself, so the new invoice's cancellation leaves the deal won with it."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import imported_deal
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import link_of, sync_order, win
from tests.e2e.test_inbound_documents import invoice_module
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

__all__ = ["invoice_module"]


def _probability(harness: SyncHarness, order_id: int) -> int:
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    return int(order["probability"])


async def test_the_imported_invoice_living_again_keeps_the_deal_won(
    invoice_module: SyncHarness,
) -> None:
    harness = invoice_module
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = False
    feed = EventFeed(harness)
    deal, imported = await imported_deal(harness, "invoice")
    deal_id = deal["id"]
    await fortnox_call(harness, "PUT", f"/invoices/{imported}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{imported}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    assert _probability(harness, deal_id) == 0
    win(harness, deal_id)  # the customer signs after all
    again = await sync_order(harness, deal_id)
    assert again.status == JobStatus.DONE, again.last_error
    second = str((again.result or {})["fortnox_invoice"])

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()  # the credit invoice's event alone: the imported invoice lives again
    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    await feed.sync()

    assert _probability(harness, deal_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, deal_id)
    assert link is not None and link.fortnox_id == str(imported)
