"""The buyer's contact person on a won deal is the invoice's "Er referens" in Fortnox: set when
the invoice is made, replaced when the deal names another contact, cleared when it names none,
and left as the bookkeeper typed it while the deal's contact stays the same."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, sync_order, win
from upsales_fortnox.vocabulary import JobStatus


def _contact(harness: SyncHarness, name: str) -> int:
    company = harness.demo.account_ids[0]
    body = {"name": name, "client": {"id": company}}
    made = harness.upsales.create_entity(harness.demo.customer_id, "contacts", body)
    return int(made["id"])


def _reference(harness: SyncHarness, number: str) -> str:
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return str(invoice["YourReference"])


async def _synced(harness: SyncHarness, order_id: int) -> str:
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    return str((job.result or {})["fortnox_invoice"])


async def _more_of_each(harness: SyncHarness, order_id: int) -> None:
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 1} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})


async def test_the_deals_contact_is_the_invoices_er_referens(linked: SyncHarness) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    long_name = "Anna Inköpare " + "x" * 60
    win(harness, order_id, contact={"id": _contact(harness, long_name)})

    number = await _synced(harness, order_id)
    assert _reference(harness, number) == long_name[:50]  # Fortnox's limit

    bo = _contact(harness, "Bo Bengtsson")
    edit(harness, "orders", order_id, {"contact": {"id": bo}})
    assert await _synced(harness, order_id) == number
    assert _reference(harness, number) == "Bo Bengtsson"

    # the bookkeeper types a reference of their own: the rep's change of rows leaves it
    body = {"Invoice": {"YourReference": "Bo, inköp ref 4411"}}
    await fortnox_call(harness, "PUT", f"/invoices/{number}", body)
    await EventFeed(harness).sync()
    await _more_of_each(harness, order_id)
    await _synced(harness, order_id)
    assert _reference(harness, number) == "Bo, inköp ref 4411"
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and invoice["InvoiceRows"][0]["DeliveredQuantity"] == "3.00"

    # the deal names no contact any more: no stale name stays on the invoice
    edit(harness, "orders", order_id, {"contact": None})
    await _synced(harness, order_id)
    assert _reference(harness, number) == ""
