"""A credit invoice made by mistake and cancelled (makulerad) before it is booked credits
nothing, whatever the setting ``creditInvoices``: the invoice it names stays live and its deal
won, end to end against both sandboxes, whether or not Fortnox clears that invoice's
``CreditInvoiceReference`` when the credit is cancelled (*unverified*; the sandbox gives both
answers)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, link_of
from tests.e2e.outbound_support import link_of as order_link_of
from tests.e2e.outbound_support import sync_order
from tests.e2e.test_inbound_payments import two_booked_invoices
from tests.e2e.won_deal_support import (
    dies_before_the_link,
    first_deal_synced,
    invoices_of,
    new_won_deal,
)
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity


async def probability_of(harness: SyncHarness, number: str) -> int:
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None
    order = harness.upsales_entity("orders", link.upsales_id)
    assert order is not None
    return int(order["probability"])


CLEARS = pytest.mark.parametrize("clears", [False, True], ids=["kept", "cleared"])


def clearing(harness: SyncHarness, clears: bool) -> None:
    harness.fortnox.tenant(harness.tenant_id).cancelled_credit_clears_reference = clears


@CLEARS
@pytest.mark.parametrize("payment_status", [False, True])
async def test_a_cancelled_credit_wins_the_deal_back_with_credit_invoices_off(
    harness: SyncHarness, payment_status: bool, clears: bool
) -> None:
    """Without ``creditInvoices`` a credit is a cancellation (the deal to lost); once that
    credit is cancelled, the invoice is not credited: the deal is won again."""
    await harness.update_settings(credit_invoices=False, payment_status=payment_status)
    clearing(harness, clears)
    feed = EventFeed(harness)
    number, _ = await two_booked_invoices(harness)
    await feed.sync()
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    assert await probability_of(harness, number) == 0

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    assert await probability_of(harness, number) == 100


@CLEARS
@pytest.mark.parametrize("credit_invoices", [False, True])
async def test_an_invoice_whose_credit_was_cancelled_before_the_sync_stays_won(
    harness: SyncHarness, credit_invoices: bool, clears: bool
) -> None:
    """The credit and its cancellation seen together: the deal is never lost."""
    await harness.update_settings(credit_invoices=credit_invoices)
    clearing(harness, clears)
    feed = EventFeed(harness)
    number, _ = await two_booked_invoices(harness)
    await feed.sync()
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")

    await feed.sync()

    assert await probability_of(harness, number) == 100


@CLEARS
async def test_a_retried_deal_takes_its_invoice_whose_credit_was_cancelled(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, clears: bool
) -> None:
    """The deal's invoice was made but its link not saved; the bookkeeper credited it and
    cancelled that credit before the retry: the invoice lives, so the retry's search takes it
    rather than make a second one beside it."""
    harness = linked
    clearing(harness, clears)
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    await dies_before_the_link(harness, monkeypatch, order_id)
    (invoice,) = invoices_of(harness, order_id)
    number = str(invoice["DocumentNumber"])
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    live = [i for i in invoices_of(harness, order_id) if not i["Credit"] and not i["Cancelled"]]
    assert [str(i["DocumentNumber"]) for i in live] == [number]
    link = await order_link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == number
