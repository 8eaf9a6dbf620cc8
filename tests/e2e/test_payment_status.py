"""Payments and credits in Fortnox reach the linked Upsales order (settings ``paymentStatus``
and ``creditInvoices``), end to end against both sandboxes: partial, full and deleted payments,
an overdue invoice by a moved clock, full and partial credits, and payments or credits of
invoices we never linked (recorded, ignored)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    change_event,
    dead_jobs,
    fortnox_call,
    jobs_of,
    link_of,
    login_without_payment_scope,
)
from tests.e2e.outbound_support import fortnox_today
from tests.e2e.test_inbound_payments import pay, two_booked_invoices
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.money import invoice_money
from upsales_fortnox.sync.money.fields import PAYMENT_FIELDS
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, SyncType

DAY = "2026-12-01"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
FORTNOX_READS = ("GET /3/invoicepayments/{Number}", "GET /3/invoices/{DocumentNumber}")


async def order_of(harness: SyncHarness, invoice_number: str) -> int:
    link = await link_of(harness, FortnoxType.INVOICE, invoice_number)
    assert link is not None
    return link.upsales_id


def payment_fields(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    """The order's payment fields by alias (an absent or cleared one reads "")."""
    aliases = {
        field["id"]: field["alias"] for field in harness.upsales_entities("customfields/order")
    }
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    shown = {alias: "" for alias in PAYMENT_FIELDS}
    for item in order.get("custom") or []:
        if aliases.get(item["fieldId"]) in PAYMENT_FIELDS:
            shown[aliases[item["fieldId"]]] = item["value"] or ""
    return shown


def status_text(status: str) -> str:
    """The payment status ``status`` (a code) as the order's field shows it to a sales rep."""
    return say(f"payment.{status}")


def expected(status: str, paid: str, balance: str, date: str) -> dict[str, str]:
    return {
        "FORTNOX_PAYMENT_STATUS": status_text(status),
        "FORTNOX_PAID_AMOUNT": paid,
        "FORTNOX_BALANCE": balance,
        "FORTNOX_PAID_DATE": date,
    }


async def money_on(harness: SyncHarness) -> tuple[EventFeed, str, int, Decimal]:
    """Payment status and credits on; a booked invoice synced: the feed, its number, its
    order and its total."""
    await harness.update_settings(payment_status=True, credit_invoices=True)
    feed = EventFeed(harness)
    _, number = await two_booked_invoices(harness)
    await feed.sync()
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return feed, number, await order_of(harness, number), Decimal(str(invoice["Total"]))


async def test_partial_then_full_payment(harness: SyncHarness) -> None:
    harness.connect_upsales_hooks()  # our own custom-field writes come back as hooks
    feed, number, order_id, total = await money_on(harness)
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == "Obetald"
    made = {f["alias"]: f["name"] for f in harness.upsales_entities("customfields/order")}
    assert [made[alias] for alias in PAYMENT_FIELDS] == [
        "Fortnox betalstatus",
        "Fortnox betalt belopp",
        "Fortnox restbelopp",
        "Fortnox senaste betaldatum",
    ]

    await pay(harness, number, "500.50")
    harness.fortnox.reset_counters()
    await feed.sync()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "500.50", str(total - Decimal("500.50")), "2026-12-01"
    )
    calls = harness.fortnox.request_counters().by_route
    assert calls.get("GET /3/invoicepayments/{Number}") == 1
    assert calls.get("GET /3/invoicepayments") == 1

    await pay(harness, number, str(total - Decimal("500.50")))
    await feed.sync()
    fields = payment_fields(harness, order_id)
    assert fields["FORTNOX_PAYMENT_STATUS"] == "Betald"  # what the sales rep reads, not a code
    assert Decimal(fields["FORTNOX_PAID_AMOUNT"]) == total
    assert Decimal(fields["FORTNOX_BALANCE"]) == 0
    await harness.upsales.flush_hooks()  # the hooks of our writes are sent in the background
    await harness.run_jobs()
    await harness.upsales.flush_hooks()
    assert await harness.run_jobs() == 0  # the custom write's echo makes no loop
    assert await dead_jobs(harness) == []
    upsales_jobs = await jobs_of(harness, "upsales.order", str(order_id))
    assert [(j.result or {}).get("outcome") for j in upsales_jobs] == ["no_change"] * len(
        upsales_jobs
    )
    assert upsales_jobs


async def pay_with_write_off(
    harness: SyncHarness, invoice_number: str, amount: Decimal, written_off: Decimal
) -> None:
    """Register and bookkeep a payment that writes off part of the invoice (avskrivning)."""
    row = {"AccountNumber": 3740, "Amount": float(written_off)}
    body = {"InvoiceNumber": int(invoice_number), "Amount": float(amount), "WriteOffs": [row]}
    created = await fortnox_call(
        harness, "POST", "/invoicepayments", {"InvoicePayment": body | {"PaymentDate": DAY}}
    )
    await fortnox_call(
        harness, "PUT", f"/invoicepayments/{created['InvoicePayment']['Number']}/bookkeep"
    )


async def test_write_offs_settle_the_invoice_as_payments_do(harness: SyncHarness) -> None:
    feed, number, order_id, total = await money_on(harness)
    await pay_with_write_off(harness, number, Decimal("1000.00"), Decimal("0.50"))
    harness.fortnox.reset_counters()
    await feed.sync()
    left = total - Decimal("1000.50")
    assert payment_fields(harness, order_id) == expected("partly_paid", "1000.00", str(left), DAY)
    calls = harness.fortnox.request_counters().by_route
    assert calls.get("GET /3/invoicepayments/{Number}") == 2  # the event's, the write-off's

    await pay_with_write_off(harness, number, left - Decimal("0.50"), Decimal("0.50"))
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and (invoice["Balance"], invoice["FinalPayDate"]) == (0, DAY)
    await feed.sync()
    assert payment_fields(harness, order_id) == expected("paid", str(total - 1), "0.00", DAY)


async def test_a_deleted_payment_reverts_the_fields(harness: SyncHarness) -> None:
    feed, number, order_id, total = await money_on(harness)
    payment = await pay(harness, number, "300")
    await feed.sync()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")

    # Fortnox removes the booked payment (the sandbox deletes only unbooked ones: the
    # deletion is made here as Fortnox would show it: payment gone, balance back, its event)
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.collection("invoicepayments").delete(payment)
    invoice = tenant.collection("invoices").get(number)
    assert invoice is not None
    invoice["Balance"] = invoice["Balance"] + Decimal(300)
    tenant.emit("invoices", "invoicepayment-deleted-v1", payment)
    harness.fortnox.reset_counters()
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("open", "0.00", str(total), "")
    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", payment)
    assert job.status == JobStatus.DONE
    calls = harness.fortnox.request_counters().by_route
    assert sum(calls.values()) == 2, calls  # the invoice and its payments, nothing else


async def pay_on(harness: SyncHarness, invoice_number: str, amount: Decimal, day: str) -> None:
    """Register and bookkeep a payment of ``amount`` (negative: a reversal) dated ``day``."""
    body = {"InvoiceNumber": int(invoice_number), "Amount": float(amount), "PaymentDate": day}
    created = await fortnox_call(harness, "POST", "/invoicepayments", {"InvoicePayment": body})
    number = created["InvoicePayment"]["Number"]
    await fortnox_call(harness, "PUT", f"/invoicepayments/{number}/bookkeep")


async def test_a_reversed_payment_no_longer_dates_the_order(harness: SyncHarness) -> None:
    """Paid in full by a second payment, which is then reversed (a negative payment of its
    amount): the order shows partly paid, last paid on the first payment's day."""
    feed, number, order_id, total = await money_on(harness)
    rest = total - Decimal("400.00")
    await pay_on(harness, number, Decimal("400.00"), "2026-11-02")
    await pay_on(harness, number, rest, "2026-11-05")
    await feed.sync()
    assert payment_fields(harness, order_id) == expected("paid", str(total), "0.00", "2026-11-05")

    await pay_on(harness, number, -rest, "2026-11-09")
    await feed.sync()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "400.00", str(rest), "2026-11-02"
    )


async def test_overdue_by_a_moved_clock(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed, number, order_id, _ = await money_on(harness)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    due = dt.date.fromisoformat(invoice["DueDate"])
    await pay(harness, number, "100")
    monkeypatch.setattr(invoice_money, "fortnox_today", lambda: due + dt.timedelta(days=1))
    await feed.sync()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("overdue")


async def test_a_full_credit_moves_the_order_to_lost_and_shows_credited(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, _ = await money_on(harness)
    orders_before = len(harness.upsales_entities("orders"))
    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await feed.sync()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None and order["probability"] == 0
    fields = payment_fields(harness, order_id)
    assert fields["FORTNOX_PAYMENT_STATUS"] == status_text("credited")
    assert Decimal(fields["FORTNOX_BALANCE"]) == 0
    credited = harness.fortnox_entity("invoices", number)
    assert credited is not None
    credit_number = str(credited["CreditInvoiceReference"])
    assert await link_of(harness, FortnoxType.INVOICE, credit_number) is None
    assert len(harness.upsales_entities("orders")) == orders_before  # no order of its own


async def test_a_partial_credit_reduces_the_balance_and_keeps_the_order(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, total = await money_on(harness)
    value_before = (harness.upsales_entity("orders", order_id) or {})["value"]
    orders_before = len(harness.upsales_entities("orders"))
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    # the credit invoice is edited down to one of the two hours before it is booked
    credit = harness.fortnox_entity("invoices", credit_number)
    assert credit is not None
    row = {"ArticleNumber": "KONS-1", "DeliveredQuantity": "-1", "Price": 1000}
    await fortnox_call(
        harness, "PUT", f"/invoices/{credit_number}", {"Invoice": {"InvoiceRows": [row]}}
    )
    await feed.sync()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    assert (order["probability"], order["value"]) == (100, value_before)
    credit_total = Decimal(str((harness.fortnox_entity("invoices", credit_number) or {})["Total"]))
    fields = payment_fields(harness, order_id)
    assert fields["FORTNOX_PAYMENT_STATUS"] == status_text("open")
    assert Decimal(fields["FORTNOX_BALANCE"]) == total + credit_total
    assert len(harness.upsales_entities("orders")) == orders_before  # no order of its own


async def test_payments_and_credits_of_unlinked_invoices_are_recorded_and_ignored(
    harness: SyncHarness,
) -> None:
    await harness.update_settings(payment_status=True, credit_invoices=True)
    await harness.update_settings(sync_type=SyncType.ORDER)  # invoices are not imported
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    assert await link_of(harness, FortnoxType.INVOICE, second) is None
    payment = await pay(harness, second, "100")
    await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    orders_before = len(harness.upsales_entities("orders"))
    await feed.sync()

    (job,) = await jobs_of(harness, "fortnox.invoicepayment", payment)
    assert job.status == JobStatus.DONE and job.result is not None
    assert job.result["payment_reason"] == "invoice_not_linked"
    credit_jobs = [
        j for j in await jobs_of(harness, "fortnox.invoice") if (j.result or {}).get("credits")
    ]
    assert [j.result["reason"] for j in credit_jobs if j.result] == ["credit_of_unlinked_invoice"]
    assert len(harness.upsales_entities("orders")) == orders_before
    assert await harness.run_jobs() == 0


def next_stockholm_midnight(moment: dt.datetime) -> dt.datetime:
    """The instant (UTC) the Swedish day after ``moment``'s begins."""
    local = moment.astimezone(STOCKHOLM)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), STOCKHOLM)
    return midnight.astimezone(dt.UTC)


def an_hour_into_the_day(moment: dt.datetime) -> dt.datetime:
    """The instant (UTC) an hour after midnight in Stockholm of ``moment``'s Swedish day: the
    overdue list is read at a day's first run and again at its first run from then on."""
    local = moment.astimezone(STOCKHOLM)
    midnight = dt.datetime.combine(local.date(), dt.time(), STOCKHOLM)
    return (midnight + dt.timedelta(hours=1)).astimezone(dt.UTC)


async def test_reconciliation_catches_a_lost_payment_and_an_invoice_gone_overdue(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, total = await money_on(harness)
    await pay(harness, number, "200")
    feed.new_events()  # the payment's events are lost
    now = dt.datetime.now(dt.UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: now)
    await harness.run_jobs()
    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "200.00", str(total - 200), "2026-12-01"
    )

    later = now + dt.timedelta(hours=1)  # past the overlap of the invoice's own change
    later = max(later, an_hour_into_the_day(later))  # the day's reads of the overdue list done
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: later)
    await harness.run_jobs()
    # days pass: the due date is behind us, with no change to the invoice
    stored = harness.fortnox.tenant(harness.tenant_id).collection("invoices").get(number)
    assert stored is not None
    stored["DueDate"] = (fortnox_today(harness) - dt.timedelta(days=3)).isoformat()
    # later the same day in Stockholm: overdue invoices are read no more that (Swedish) day
    same_day = later + (next_stockholm_midnight(later) - later) / 2
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: same_day)
    await harness.run_jobs()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")
    # the first run after midnight in Stockholm reads them
    next_day = next_stockholm_midnight(same_day) + dt.timedelta(minutes=1)
    harness.fortnox.reset_counters()
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: next_day)
    await harness.run_jobs()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("overdue")


async def test_a_payment_of_a_euro_invoice_counts_in_euro(harness: SyncHarness) -> None:
    """A customer pays EUR 100 of a euro invoice (SEK 1 150 at the day's rate): the order shows
    EUR 100 paid and the rest of the invoice's euro total left, not the kronor as euro."""
    await harness.update_settings(payment_status=True)
    harness.upsales.seed_many(
        harness.demo.customer_id, {"currencies": [{"iso": "EUR", "rate": "0.087"}]}
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "7002", "Name": "Euro GmbH", "Currency": "EUR"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme", "SalesPrice": 1000}],
    )
    body = {
        "CustomerNumber": "7002",
        "Currency": "EUR",
        "CurrencyRate": 11.5,
        "CurrencyUnit": 1,
        "InvoiceRows": [{"ArticleNumber": "KONS-1", "DeliveredQuantity": "2", "Price": 400}],
    }
    created = await fortnox_call(harness, "POST", "/invoices", {"Invoice": body})
    number = str(created["Invoice"]["DocumentNumber"])
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    feed = EventFeed(harness)
    await feed.sync()
    order_id = await order_of(harness, number)
    total = Decimal(str(created["Invoice"]["Total"]))

    payment = {"InvoiceNumber": int(number), "AmountCurrency": 100, "PaymentDate": DAY}
    paid = await fortnox_call(harness, "POST", "/invoicepayments", {"InvoicePayment": payment})
    assert Decimal(str(paid["InvoicePayment"]["Amount"])) == Decimal("1150.00")
    await fortnox_call(
        harness, "PUT", f"/invoicepayments/{paid['InvoicePayment']['Number']}/bookkeep"
    )
    await feed.sync()

    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "100.00", f"{total - 100:.2f}", DAY
    )


@pytest.mark.parametrize("credit_invoices", [True, False])
async def test_a_credit_whose_original_sends_no_event_still_moves_the_order_to_lost(
    harness: SyncHarness, credit_invoices: bool
) -> None:
    """Whether Fortnox sends an event for the invoice it credits is not documented: the credit
    invoice's own event is enough, with the setting ``creditInvoices`` on or off."""
    await harness.update_settings(credit_invoices=credit_invoices)
    feed = EventFeed(harness)
    number, _ = await two_booked_invoices(harness)
    await feed.sync()
    order_id = await order_of(harness, number)
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    only_the_credits = [
        event for event in feed.new_events() if str(event["entityId"]) == credit_number
    ]
    assert only_the_credits  # the credit invoice's event, without the original's
    await feed.enqueue(only_the_credits)
    await harness.run_jobs()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None and order["probability"] == 0
    assert await link_of(harness, FortnoxType.INVOICE, credit_number) is None


async def test_an_invoice_of_a_login_without_the_payment_scope_syncs_and_says_why(
    harness: SyncHarness,
) -> None:
    feed, number, _, _ = await money_on(harness)
    await login_without_payment_scope(harness)

    await feed.enqueue([change_event(harness, "invoices", number, "no-payment-scope-1")])
    await harness.run_jobs()

    job = (await jobs_of(harness, "fortnox.invoice", number))[-1]
    assert job.status == JobStatus.DONE, job.last_error
    assert job.result is not None
    assert (job.result["payment_status"], job.result["payment_reason"]) == (
        "skip",
        "payment_scope_missing",
    )
    assert not await dead_jobs(harness)


async def test_a_credit_shows_in_the_money_fields_with_credit_invoices_off(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``creditInvoices`` a credit moves the order to lost as a cancellation; its
    money fields still show the credit, never the invoice open (or, days later, overdue) for
    its whole total."""
    await harness.update_settings(payment_status=True, credit_invoices=False)
    feed = EventFeed(harness)
    _, number = await two_booked_invoices(harness)
    await feed.sync()
    order_id = await order_of(harness, number)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    due = dt.date.fromisoformat(invoice["DueDate"])
    monkeypatch.setattr(invoice_money, "fortnox_today", lambda: due + dt.timedelta(days=1))
    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await feed.sync()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None and order["probability"] == 0
    assert payment_fields(harness, order_id) == expected("credited", "0.00", "0.00", "")


def delete_booked_payment(harness: SyncHarness, invoice_number: str, payment: str) -> None:
    """Fortnox removes a booked payment: gone, the invoice's balance back, its event (the
    sandbox deletes only unbooked ones, so this is made here as Fortnox would show it)."""
    tenant = harness.fortnox.tenant(harness.tenant_id)
    amount = Decimal(str(tenant.collection("invoicepayments").get(payment)["AmountCurrency"]))
    tenant.collection("invoicepayments").delete(payment)
    invoice = tenant.collection("invoices").get(invoice_number)
    assert invoice is not None
    invoice["Balance"] = invoice["Balance"] + amount
    tenant.emit("invoices", "invoicepayment-deleted-v1", payment)


async def test_a_deleted_payment_that_reconciliation_found_reverts_the_fields(
    harness: SyncHarness,
) -> None:
    """A payment whose events were lost reaches the order through reconciliation; its later
    deletion still finds the invoice it paid."""
    feed, number, order_id, total = await money_on(harness)
    payment = await pay(harness, number, "200")
    feed.new_events()  # the payment's events are lost
    now = dt.datetime.now(dt.UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: now)
    await harness.run_jobs()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")

    delete_booked_payment(harness, number, payment)
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("open", "0.00", str(total), "")


async def test_a_cancelled_credit_invoice_leaves_the_invoice_it_credited_live(
    harness: SyncHarness,
) -> None:
    """A credit invoice made by mistake and cancelled (makulerad) before it is booked credits
    nothing: the order, moved to lost by the credit, is won again and shows the invoice open
    for its whole total, whether or not Fortnox clears the original's reference to it."""
    feed, number, order_id, total = await money_on(harness)
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    await feed.sync()
    order = harness.upsales_entity("orders", order_id)
    assert order is not None and order["probability"] == 0
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("credited")

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    order = harness.upsales_entity("orders", order_id)
    assert order is not None and order["probability"] == 100
    assert payment_fields(harness, order_id) == expected("open", "0.00", f"{total:.2f}", "")
