"""The payment status of a deal that Fortnox invoiced in two parts (an order invoiced in part,
its backorder invoiced in turn), end to end against both sandboxes.

Only the first invoice is linked to the deal; the order shows the money of both, so a deal
with its first part paid and the rest unpaid reads partly paid, the rest's total left (not paid
with nothing left), and a payment of the rest, whose invoice the deal does not link, reaches
the order too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, link_of
from tests.e2e.outbound_support import fortnox_today
from tests.e2e.partly_invoiced_support import PartlyInvoiced, partly_invoiced
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_order_fields_turned_on import turn_on
from tests.e2e.test_payment_status import (
    DAY,
    expected,
    next_stockholm_midnight,
    payment_fields,
    status_text,
)
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import FortnoxType


def total_of(harness: SyncHarness, number: int) -> Decimal:
    invoice = harness.fortnox_entity("invoices", str(number))
    assert invoice is not None
    return Decimal(str(invoice["Total"]))


async def booked_parts(harness: SyncHarness) -> PartlyInvoiced:
    """Payment status on; the deal invoiced in two parts, both booked and synced."""
    await harness.update_settings(payment_status=True)
    deal = await partly_invoiced(harness, rest_invoiced=True)
    assert await link_of(harness, FortnoxType.INVOICE, str(deal.invoice)) is not None
    assert await link_of(harness, FortnoxType.INVOICE, str(deal.rest)) is None
    for number in (deal.invoice, deal.rest):
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    await EventFeed(harness).sync()
    return deal


async def test_a_deal_invoiced_in_two_parts_with_one_paid_reads_partly_paid(
    linked: SyncHarness,
) -> None:
    harness = linked
    deal = await booked_parts(harness)
    first, rest = total_of(harness, deal.invoice), total_of(harness, deal.rest)
    order_id = harness.demo.opportunity_id
    assert payment_fields(harness, order_id) == expected("open", "0.00", f"{first + rest:.2f}", "")

    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()

    assert payment_fields(harness, order_id) == expected(
        "partly_paid", f"{first:.2f}", f"{rest:.2f}", DAY
    )


async def test_a_payment_of_the_rest_reaches_the_deal(linked: SyncHarness) -> None:
    harness = linked
    deal = await booked_parts(harness)
    first, rest = total_of(harness, deal.invoice), total_of(harness, deal.rest)
    order_id = harness.demo.opportunity_id

    await pay(harness, str(deal.rest), "1000")
    await EventFeed(harness).sync()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "1000.00", f"{first + rest - 1000:.2f}", DAY
    )

    await pay(harness, str(deal.rest), str(rest - 1000))
    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()
    assert payment_fields(harness, order_id) == expected("paid", f"{first + rest:.2f}", "0.00", DAY)


async def test_the_refresh_shows_a_deal_invoiced_in_parts_as_its_events_would(
    linked: SyncHarness,
) -> None:
    """Turning ``paymentStatus`` on after the first part was paid reads the rest's invoice too."""
    harness = linked
    deal = await partly_invoiced(harness, rest_invoiced=True)
    for number in (deal.invoice, deal.rest):
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    first, rest = total_of(harness, deal.invoice), total_of(harness, deal.rest)
    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()

    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "partly_paid", f"{first:.2f}", f"{rest:.2f}", DAY
    )


async def test_the_rest_gone_overdue_reaches_the_deal_through_reconciliation(
    linked: SyncHarness,
) -> None:
    """The first part paid, the rest's due date passes with no change to its invoice: the
    daily overdue run shows the deal overdue, as it does a single invoice."""
    harness = linked
    deal = await booked_parts(harness)
    first = total_of(harness, deal.invoice)
    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()
    order_id = harness.demo.opportunity_id
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")

    now = dt.datetime.now(dt.UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: now)
    await harness.run_jobs()
    later = now + dt.timedelta(hours=1)  # past the overlap of the parts' own changes
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: later)
    await harness.run_jobs()
    # days pass: the rest's due date is behind us, with no change to its invoice
    stored = harness.fortnox.tenant(harness.tenant_id).collection("invoices").get(str(deal.rest))
    assert stored is not None
    stored["DueDate"] = (fortnox_today(harness) - dt.timedelta(days=3)).isoformat()
    # the first run after midnight in Stockholm (24 hours on may be the same Swedish day)
    next_day = next_stockholm_midnight(later) + dt.timedelta(minutes=1)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: next_day)
    await harness.run_jobs()

    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("overdue")
