"""Fortnox events by type: a payment event syncs the invoice the payment pays (never an invoice
of the payment's number), through the HTTP endpoint and through the WebSocket stream; event
types we do not use are recorded and acknowledged without a job."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    context_of,
    fortnox_call,
    jobs_of,
    login_without_payment_scope,
)
from tests.e2e.stream_support import consumer_for, running, served, wait_for
from upsales_fortnox.intake.fortnox_stream.recording import record_with_intake
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.models.job import InboundEvent, SyncJob

PAYMENT_READ = "GET /3/invoicepayments/{Number}"
INVOICE_READ = "GET /3/invoices/{DocumentNumber}"


async def two_booked_invoices(harness: SyncHarness) -> tuple[str, str]:
    """Invoices 1 and 2, booked and synced; their numbers."""
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme", "SalesPrice": 1000}],
    )
    context = await context_of(harness)
    numbers = []
    for _ in range(2):
        invoice = await context.fortnox.create_invoice(
            Invoice(
                CustomerNumber="2001",
                InvoiceRows=[
                    InvoiceRow(
                        ArticleNumber="KONS-1", DeliveredQuantity=Decimal(2), Price=Decimal(1000)
                    )
                ],
            )
        )
        assert invoice.DocumentNumber is not None
        numbers.append(str(invoice.DocumentNumber))
        await fortnox_call(harness, "PUT", f"/invoices/{invoice.DocumentNumber}/bookkeep")
    first, second = numbers
    return first, second


async def pay(harness: SyncHarness, invoice_number: str, amount: str) -> str:
    """Register and bookkeep a payment on an invoice; the payment's number."""
    created = await fortnox_call(
        harness,
        "POST",
        "/invoicepayments",
        {
            "InvoicePayment": {
                "InvoiceNumber": int(invoice_number),
                "Amount": float(amount),
                "PaymentDate": "2026-12-01",
            }
        },
    )
    number: str = created["InvoicePayment"]["Number"]
    await fortnox_call(harness, "PUT", f"/invoicepayments/{number}/bookkeep")
    return number


async def invoice_jobs(harness: SyncHarness, number: str) -> list[SyncJob]:
    return await jobs_of(harness, "fortnox.invoice", number)


async def stored_events(harness: SyncHarness, event_type: str) -> list[InboundEvent]:
    async with harness.services.session_factory() as session:
        rows = await session.scalars(
            select(InboundEvent).where(InboundEvent.event_type == event_type)
        )
        return list(rows)


def reads(harness: SyncHarness, route: str) -> int:
    return harness.fortnox.request_counters().by_route.get(route, 0)


async def test_a_payment_event_over_http_syncs_the_paid_invoice(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    jobs_of_first = len(await invoice_jobs(harness, first))
    total = harness.fortnox.entity(harness.tenant_id, "invoices", second)
    assert total is not None

    payment = await pay(harness, second, str(total["Total"]))
    assert payment == first  # the payment's number is also an invoice's number
    events = feed.new_events()
    assert [(e["type"], e["entityId"]) for e in events] == [("invoicepayment-bookkeep-v1", payment)]
    harness.fortnox.reset_counters()
    (answer,) = await feed.enqueue(events)
    await harness.run_jobs()

    assert answer["status"] == "accepted"
    (job,) = await jobs_of(harness, "fortnox.invoicepayment", payment)
    assert job.id == answer["job_id"] and job.status == "done"
    assert job.result is not None
    assert job.result["fortnox_invoicepayment"] == payment
    assert job.result["fortnox_invoice"] == second
    assert len(await invoice_jobs(harness, first)) == jobs_of_first  # none for the payment number
    assert reads(harness, PAYMENT_READ) == 1
    assert reads(harness, INVOICE_READ) >= 1
    paid = harness.fortnox.entity(harness.tenant_id, "invoices", second)
    assert paid is not None and paid["Balance"] == 0 and paid["FinalPayDate"] == "2026-12-01"


async def test_a_payment_event_through_the_stream_syncs_the_paid_invoice(
    harness: SyncHarness,
) -> None:
    first, second = await two_booked_invoices(harness)
    await EventFeed(harness).sync()
    jobs_of_first = len(await invoice_jobs(harness, first))
    async with (
        served(harness.fortnox.app) as port,
        running(consumer_for(harness, port, record_with_intake)) as consumer,
    ):
        await wait_for(consumer, lambda c: c.connections == 1)
        base = consumer.events_recorded
        payment = await pay(harness, second, "500")
        await wait_for(consumer, lambda c: c.events_recorded == base + 1)
    await harness.run_jobs()

    (job,) = await jobs_of(harness, "fortnox.invoicepayment", payment)
    assert job.status == "done" and job.result is not None
    assert job.result["fortnox_invoice"] == second
    assert len(await invoice_jobs(harness, first)) == jobs_of_first
    (event,) = await stored_events(harness, "invoicepayment-bookkeep-v1")
    assert (event.entity_type, event.entity_id, event.job_id) == ("invoicepayment", payment, job.id)


async def test_unused_event_types_are_recorded_without_a_job_and_a_deletion_costs_no_call(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    first, _ = await two_booked_invoices(harness)
    await feed.sync()
    created = await fortnox_call(
        harness, "POST", "/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(first)}}
    )
    payment = created["InvoicePayment"]["Number"]
    await fortnox_call(harness, "DELETE", f"/invoicepayments/{payment}")
    unknown: dict[str, Any] = {
        "topic": "offers",
        "offset": "hand-made-1",
        "type": "offer-sent-v9",
        "tenantId": harness.tenant_id,
        "entityId": "77",
        "timestamp": "2026-12-01T10:00:00.000+01:00",
    }
    events = [*feed.new_events(), unknown]
    assert [e["type"] for e in events] == ["invoicepayment-deleted-v1", "offer-sent-v9"]
    async with harness.services.session_factory() as session:
        jobs_before = len(list(await session.scalars(select(SyncJob))))

    answers = await feed.enqueue(events)
    again = await feed.enqueue(events)

    assert [a["status"] for a in answers] == ["accepted", "recorded"]
    assert answers[0]["job_id"] is not None and answers[1]["job_id"] is None
    assert [a["status"] for a in again] == ["duplicate", "duplicate"]
    async with harness.services.session_factory() as session:
        assert len(list(await session.scalars(select(SyncJob)))) == jobs_before + 1
    (deleted,) = await stored_events(harness, "invoicepayment-deleted-v1")
    assert (deleted.entity_type, deleted.entity_id, deleted.job_id) == (
        "invoicepayment",
        payment,
        answers[0]["job_id"],
    )
    harness.fortnox.reset_counters()
    await harness.run_jobs()
    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", payment)
    assert job.status == "done" and job.result is not None
    assert job.result["reason"] == "payment_status_off"
    assert harness.fortnox.request_counters().by_route == {}
    (other,) = await stored_events(harness, "offer-sent-v9")
    assert (other.entity_type, other.job_id) == ("offer", None)


async def test_a_deleted_payment_from_the_stream_is_recorded_with_its_job(
    harness: SyncHarness,
) -> None:
    first, _ = await two_booked_invoices(harness)
    await EventFeed(harness).sync()
    created = await fortnox_call(
        harness, "POST", "/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(first)}}
    )
    payment = created["InvoicePayment"]["Number"]
    async with (
        served(harness.fortnox.app) as port,
        running(consumer_for(harness, port, record_with_intake)) as consumer,
    ):
        await wait_for(consumer, lambda c: c.connections == 1)
        base = consumer.events_recorded
        await fortnox_call(harness, "DELETE", f"/invoicepayments/{payment}")
        await wait_for(consumer, lambda c: c.events_recorded == base + 1)

    (event,) = await stored_events(harness, "invoicepayment-deleted-v1")
    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", payment)
    assert (event.entity_id, event.job_id) == (payment, job.id)
    assert await jobs_of(harness, "fortnox.invoicepayment") == []
    await harness.run_jobs()
    (job,) = await jobs_of(harness, "fortnox.invoicepayment_deleted", payment)
    assert job.status == "done" and job.result is not None
    assert job.result["reason"] == "payment_status_off"


def payment_event(harness: SyncHarness, number: str, offset: str) -> dict[str, Any]:
    return {
        "topic": "invoices",
        "offset": offset,
        "type": "invoicepayment-bookkeep-v1",
        "tenantId": harness.tenant_id,
        "entityId": number,
        "timestamp": "2026-12-01T10:00:00.000+01:00",
    }


async def test_a_payment_fortnox_no_longer_has_is_skipped(harness: SyncHarness) -> None:
    first, _ = await two_booked_invoices(harness)
    await EventFeed(harness).sync()
    jobs_of_first = len(await invoice_jobs(harness, first))

    await EventFeed(harness).enqueue([payment_event(harness, first, "gone-1")])
    await harness.run_jobs()

    (job,) = await jobs_of(harness, "fortnox.invoicepayment", first)
    assert job.status == "done" and job.result is not None
    assert (job.result["outcome"], job.result["reason"]) == ("skip", "payment_not_found")
    assert len(await invoice_jobs(harness, first)) == jobs_of_first


async def test_a_login_without_the_payment_scope_skips_with_its_own_reason(
    harness: SyncHarness,
) -> None:
    _, second = await two_booked_invoices(harness)
    payment = await pay(harness, second, "100")
    await login_without_payment_scope(harness)

    await EventFeed(harness).enqueue([payment_event(harness, payment, "no-scope-1")])
    await harness.run_jobs()

    (job,) = await jobs_of(harness, "fortnox.invoicepayment", payment)
    assert job.status == "done" and job.result is not None
    assert job.result["reason"] == "payment_scope_missing"
