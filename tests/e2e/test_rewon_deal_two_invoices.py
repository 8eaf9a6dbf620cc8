"""A deal whose invoice A the bookkeeper credited (the deal to lost), won again in Upsales (a new
invoice B), after which A's credit is cancelled (A lives again beside B): the deal has two live
invoices, and goes to lost only once neither lives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, rep_loses_deal
from tests.e2e.outbound_support import (
    job,
    link_of,
    queue,
    run_now,
    sync_order,
    win,
    won_and_invoiced,
)
from tests.e2e.test_order_fields_turned_on import turn_on
from tests.e2e.test_payment_status import pay_on, payment_fields
from tests.e2e.won_deal_support import invoices_of
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


def _probability(harness: SyncHarness, order_id: int) -> int:
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    return int(order["probability"])


async def _two_live_invoices(harness: SyncHarness, feed: EventFeed) -> tuple[str, str]:
    """Invoice A credited (the deal lost), the deal won again (invoice B), A's credit cancelled:
    the numbers of A and B, both live."""
    order_id = harness.demo.opportunity_id
    first = await won_and_invoiced(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{first}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    assert _probability(harness, order_id) == 0

    win(harness, order_id)  # the customer signs after all
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    second = str((again.result or {})["fortnox_invoice"])
    assert second != first

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()
    assert _probability(harness, order_id) == 100
    return first, second


@pytest.mark.parametrize("clears", [False, True], ids=["kept", "cleared"])
@pytest.mark.parametrize("credit_invoices", [False, True])
async def test_a_deal_stays_won_while_its_earlier_invoice_lives_again(
    linked: SyncHarness, clears: bool, credit_invoices: bool
) -> None:
    """The bookkeeper cancels B: A still lives, so the deal stays won; A is its document again,
    so A's own later credit moves the deal to lost (where Fortnox lets it be credited again:
    a sandbox that keeps naming the cancelled credit refuses a second one)."""
    harness = linked
    await harness.update_settings(credit_invoices=credit_invoices)
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = clears
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)

    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    await feed.sync()
    assert _probability(harness, order_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first
    if not clears:
        return  # an invoice that names its cancelled credit takes no second credit

    await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    await feed.sync()
    assert _probability(harness, order_id) == 0


async def test_a_lost_deal_whose_earlier_invoice_lives_again_is_won_with_it(
    linked: SyncHarness,
) -> None:
    """Invoice A credited (the deal lost), the deal won again (invoice B), B cancelled (the deal
    lost again), then A's credit cancelled: A lives, so the deal is won again with A as its
    document, and B's later events leave it so."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first = await won_and_invoiced(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{first}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    win(harness, order_id)
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    second = str((again.result or {})["fortnox_invoice"])
    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    await feed.sync()
    assert _probability(harness, order_id) == 0

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    assert _probability(harness, order_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first
    for number in (second, first):  # the invoices' later syncs change nothing
        queued = await queue(harness, "fortnox.invoice", number)
        await run_now(harness)
        synced = await job(harness, queued)
        assert synced.status == JobStatus.DONE, synced.last_error
    assert _probability(harness, order_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first


def _total(harness: SyncHarness, number: str) -> Decimal:
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return Decimal(str(invoice["Total"]))


async def test_the_deals_money_counts_both_live_invoices(linked: SyncHarness) -> None:
    """With ``paymentStatus``: while A and B both live, the deal shows what both leave to pay,
    also after a payment of A (its event reaches the deal through B); once B is cancelled, A's
    alone."""
    harness = linked
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)
    both = _total(harness, first) + _total(harness, second)
    assert Decimal(payment_fields(harness, order_id)["FORTNOX_BALANCE"]) == both

    await pay_on(harness, first, Decimal(100), "2026-01-15")
    await feed.sync()
    shown = payment_fields(harness, order_id)
    assert Decimal(shown["FORTNOX_BALANCE"]) == both - 100
    assert Decimal(shown["FORTNOX_PAID_AMOUNT"]) == 100

    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    await feed.sync()
    assert Decimal(payment_fields(harness, order_id)["FORTNOX_BALANCE"]) == (
        _total(harness, first) - 100
    )


async def test_the_refresh_of_the_payment_fields_counts_both_live_invoices(
    linked: SyncHarness,
) -> None:
    """Turning ``paymentStatus`` on while A and B both live shows what both leave to pay, as
    their events would, not B's alone."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)

    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()

    both = _total(harness, first) + _total(harness, second)
    assert Decimal(payment_fields(harness, order_id)["FORTNOX_BALANCE"]) == both


async def test_reconciliation_brings_a_lost_payment_of_the_earlier_invoice(
    linked: SyncHarness,
) -> None:
    """A payment of A whose events were lost reaches the deal through reconciliation's list of
    payments, as one of the invoice it links does, also where the payment leaves A's
    ``lastmodified`` as it was (``money_facts.PAYMENTS_TOUCH_INVOICE_LASTMODIFIED``, unverified)."""
    harness = linked
    await harness.update_settings(payment_status=True)
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)
    both = _total(harness, first) + _total(harness, second)
    now = dt.datetime.now(dt.UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: now)
    await harness.run_jobs()

    await pay_on(harness, first, Decimal(100), "2026-01-15")
    feed.new_events()  # the payment's events are lost
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices")
    long_ago = (now - dt.timedelta(days=1)).timestamp()
    for number in list(invoices.modified):  # no invoice changed as far as their list tells
        invoices.touch(number, long_ago)
    later = now + dt.timedelta(hours=1)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: later)
    await harness.run_jobs()

    shown = payment_fields(harness, order_id)
    assert Decimal(shown["FORTNOX_PAID_AMOUNT"]) == 100
    assert Decimal(shown["FORTNOX_BALANCE"]) == both - 100


async def test_a_deal_the_rep_lost_takes_its_earlier_invoice_back_as_the_new_one_ends(
    linked: SyncHarness,
) -> None:
    """A and B both live, the sales rep moves the deal to lost, then the bookkeeper cancels B:
    the deal stays lost (the rep's), and A, still live, is its invoice again, so winning the
    deal once more makes no third invoice beside A."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)
    rep_loses_deal(harness, order_id)

    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    await feed.sync()
    assert _probability(harness, order_id) == 0
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first

    win(harness, order_id)  # the customer signs after all, once more
    await sync_order(harness, order_id)
    live = [i for i in invoices_of(harness, order_id) if not i.get("Cancelled")]
    assert [str(i["DocumentNumber"]) for i in live] == [first]
