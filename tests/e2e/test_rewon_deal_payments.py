"""A deal whose invoice was credited (the deal lost), won again (a new invoice, or in order mode
a new order invoiced in turn), after which the first invoice's credit is cancelled: the deal owns
two live invoices, and the payment of either reaches it."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import sync_order, win
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_partly_invoiced_payments import total_of
from tests.e2e.test_payment_status import DAY, expected, payment_fields
from upsales_fortnox.vocabulary import JobStatus, SyncType


async def _invoiced(harness: SyncHarness, order_id: int) -> int:
    """The deal won and sent, its invoice booked (made of its order in order mode)."""
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    result = sent.result or {}
    number = int(result.get("fortnox_invoice") or 0)
    if not number:
        context = await context_of(harness)
        made = await context.fortnox.create_invoice_from_order(int(result["fortnox_order"]))
        assert made.DocumentNumber is not None
        number = made.DocumentNumber
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    await EventFeed(harness).sync()
    return number


@pytest.mark.parametrize("sync_type", [SyncType.INVOICE, SyncType.ORDER])
async def test_a_payment_of_either_invoice_of_a_rewon_deal_reaches_it(
    linked: SyncHarness, sync_type: SyncType
) -> None:
    harness = linked
    await harness.update_settings(sync_type=sync_type, credit_invoices=True, payment_status=True)
    order_id = harness.demo.opportunity_id
    first = await _invoiced(harness, order_id)
    credited = await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0

    second = await _invoiced(harness, order_id)
    assert second != first
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await EventFeed(harness).sync()
    owed = total_of(harness, first) + total_of(harness, second)

    await pay(harness, str(first), "1000")
    await EventFeed(harness).sync()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "1000.00", f"{owed - 1000:.2f}", DAY
    )
    await pay(harness, str(second), "500")
    await EventFeed(harness).sync()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "1500.00", f"{owed - 1500:.2f}", DAY
    )
