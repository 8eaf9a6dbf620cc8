"""A credited invoice's money fields (settings ``paymentStatus`` and ``creditInvoices``) are the
same whether or not Fortnox lowers the credited invoice's ``Balance`` by its booked credit
(``money_facts.CREDIT_LOWERS_CREDITED_BALANCE``, *unverified*; the sandbox gives both answers): the
credit is counted once, end to end against both sandboxes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.test_inbound_payments import pay, two_booked_invoices
from tests.e2e.test_order_fields_turned_on import turn_on
from tests.e2e.test_payment_status import DAY, expected, money_on, order_of, payment_fields

LOWERS = pytest.mark.parametrize("lowers", [False, True], ids=["balance_kept", "balance_lowered"])


async def credit_one_hour(harness: SyncHarness, number: str) -> Decimal:
    """Credit one of the invoice's two hours and book the credit; its total (positive)."""
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    row = {"ArticleNumber": "KONS-1", "DeliveredQuantity": "-1", "Price": 1000}
    await fortnox_call(
        harness, "PUT", f"/invoices/{credit_number}", {"Invoice": {"InvoiceRows": [row]}}
    )
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/bookkeep")
    credit = harness.fortnox_entity("invoices", credit_number)
    assert credit is not None
    return -Decimal(str(credit["Total"]))


def lowering(harness: SyncHarness, lowers: bool) -> None:
    harness.fortnox.tenant(harness.tenant_id).credit_lowers_credited_balance = lowers


def balance_of(harness: SyncHarness, number: str) -> Decimal:
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return Decimal(str(invoice["Balance"]))


@LOWERS
async def test_a_partial_credit_alone_leaves_the_rest_open(
    harness: SyncHarness, lowers: bool
) -> None:
    feed, number, order_id, total = await money_on(harness)
    lowering(harness, lowers)
    credit = await credit_one_hour(harness, number)
    assert balance_of(harness, number) == (total - credit if lowers else total)
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("open", "0.00", f"{total - credit}", "")


@LOWERS
async def test_a_payment_then_a_partial_credit_count_each_once(
    harness: SyncHarness, lowers: bool
) -> None:
    feed, number, order_id, total = await money_on(harness)
    lowering(harness, lowers)
    await pay(harness, number, "500")
    credit = await credit_one_hour(harness, number)
    await feed.sync()

    left = total - credit - 500
    assert payment_fields(harness, order_id) == expected("partly_paid", "500.00", f"{left}", DAY)


@LOWERS
async def test_a_partial_credit_then_the_rest_paid_leaves_nothing(
    harness: SyncHarness, lowers: bool
) -> None:
    feed, number, order_id, total = await money_on(harness)
    lowering(harness, lowers)
    credit = await credit_one_hour(harness, number)
    await feed.sync()
    rest = total - credit
    await pay(harness, number, str(rest))
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("paid", f"{rest}", "0.00", DAY)


@LOWERS
async def test_a_full_credit_of_an_unpaid_invoice_leaves_nothing(
    harness: SyncHarness, lowers: bool
) -> None:
    feed, number, order_id, _ = await money_on(harness)
    lowering(harness, lowers)
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/bookkeep")
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("credited", "0.00", "0.00", "")


@LOWERS
async def test_a_paid_invoice_credited_in_part_shows_the_same_balance_either_way(
    harness: SyncHarness, lowers: bool
) -> None:
    feed, number, order_id, total = await money_on(harness)
    lowering(harness, lowers)
    await pay(harness, number, str(total))
    await credit_one_hour(harness, number)
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("paid", f"{total}", "0.00", DAY)


@LOWERS
async def test_a_paid_invoice_credited_in_full_shows_nothing_left(
    harness: SyncHarness, lowers: bool
) -> None:
    """What the credit gives back is the credit invoice's to pay, not a balance of this one."""
    feed, number, order_id, total = await money_on(harness)
    lowering(harness, lowers)
    await pay(harness, number, str(total))
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/bookkeep")
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("credited", f"{total}", "0.00", DAY)


@LOWERS
async def test_the_refresh_shows_a_credited_invoice_as_its_events_would(
    harness: SyncHarness, lowers: bool
) -> None:
    """Turning ``paymentStatus`` on reads each linked invoice afresh: a credit in part, the
    rest paid, or all paid and then credited in part, show as the events show them."""
    await harness.update_settings(credit_invoices=True)
    lowering(harness, lowers)
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    total = balance_of(harness, first)
    credit = await credit_one_hour(harness, first)
    await pay(harness, first, str(total - credit))
    await pay(harness, second, str(total))
    await credit_one_hour(harness, second)
    await feed.sync()

    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()

    rest = total - credit
    shown = payment_fields(harness, await order_of(harness, first))
    assert shown == expected("paid", f"{rest}", "0.00", DAY)
    shown = payment_fields(harness, await order_of(harness, second))
    assert shown == expected("paid", f"{total}", "0.00", DAY)
