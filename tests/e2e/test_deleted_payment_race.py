"""A deleted payment whatever sync showed it: one that reached the order through its invoice's
own sync, not its bookkeeping job, and is deleted before that job reads it, still reverts the
fields; one we never saw costs no Fortnox call."""

from __future__ import annotations

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import change_event, jobs_of
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_payment_status import (
    delete_booked_payment,
    expected,
    money_on,
    payment_fields,
    status_text,
)
from upsales_fortnox.models.link import SeenPayment
from upsales_fortnox.vocabulary import JobStatus


async def seen_payments(harness: SyncHarness) -> dict[str, str]:
    """Payment number → the invoice it was seen paying."""
    async with harness.services.session_factory() as session:
        rows = await session.execute(select(SeenPayment.payment_number, SeenPayment.invoice_number))
        return {row.payment_number: row.invoice_number for row in rows}


async def test_a_payment_the_invoice_sync_showed_and_deleted_before_its_job_reverts(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, total = await money_on(harness)
    payment = await pay(harness, number, "300")
    feed.new_events()  # its bookkeeping event not yet worked on (or lost)
    await feed.enqueue([change_event(harness, "invoices", number, "9001")])
    await harness.run_jobs()
    assert payment_fields(harness, order_id)["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")
    assert (await seen_payments(harness)).get(payment) == number

    delete_booked_payment(harness, number, payment)
    harness.fortnox.reset_counters()
    await feed.sync()

    assert payment_fields(harness, order_id) == expected("open", "0.00", str(total), "")
    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", payment)
    assert job.status == JobStatus.DONE
    calls = harness.fortnox.request_counters().by_route
    assert sum(calls.values()) == 2, calls  # the invoice and its payments, nothing else
    assert payment not in await seen_payments(harness)  # its deletion synced, forgotten


async def test_the_deletion_of_a_payment_never_seen_costs_no_fortnox_call(
    harness: SyncHarness,
) -> None:
    feed, _, order_id, total = await money_on(harness)
    shown = payment_fields(harness, order_id)
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.emit("invoices", "invoicepayment-deleted-v1", "987654")
    harness.fortnox.reset_counters()
    await feed.sync()

    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", "987654")
    assert job.status == JobStatus.DONE
    assert job.result is not None and job.result["reason"] == "payment_never_synced"
    assert harness.fortnox.request_counters().by_route == {}
    assert payment_fields(harness, order_id) == shown == expected("open", "0.00", str(total), "")


async def test_a_late_deletion_event_of_a_payment_still_there_keeps_its_record(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, _ = await money_on(harness)
    payment = await pay(harness, number, "300")
    await feed.sync()
    shown = payment_fields(harness, order_id)
    assert shown["FORTNOX_PAYMENT_STATUS"] == status_text("partly_paid")

    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.emit("invoices", "invoicepayment-deleted-v1", payment)  # the payment stays
    await feed.sync()

    assert payment_fields(harness, order_id) == shown
    assert (await seen_payments(harness)).get(payment) == number  # its real deletion finds it
