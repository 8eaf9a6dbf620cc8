"""Turning ``paymentStatus`` or ``documentLinks`` on after deals are linked brings every linked
order's fields up to date, end to end against both sandboxes: the settings API queues the
refresh, the worker runs it, and the orders show what the invoices' own events would have
written had the setting been on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    custom_value,
    fortnox_call,
    jobs_of,
    login_without_payment_scope,
)
from tests.e2e.test_inbound_payments import pay, two_booked_invoices
from tests.e2e.test_payment_status import (
    DAY,
    expected,
    order_of,
    payment_fields,
    status_text,
)
from upsales_fortnox.documents.service import LinkSigning, document_url
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.inbound import order_fields_refresh
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus

URL_ALIAS = "FORTNOX_DOCUMENT_URL"


async def turn_on(harness: SyncHarness, **settings: Any) -> None:
    """Save the settings through the operator API, as an admin would."""
    url = f"/api/installations/{harness.installation_id}/settings"
    read = await harness.service.get(url, headers=harness.admin_headers)
    assert read.status_code == 200, read.text
    document = {**read.json(), **settings}
    saved = await harness.service.put(
        url, json=document, headers={**harness.admin_headers, "If-Match": read.headers["ETag"]}
    )
    assert saved.status_code == 200, saved.text


async def paid_and_partly_paid(harness: SyncHarness) -> tuple[str, str, Decimal]:
    """Two booked invoices linked while ``paymentStatus`` was off, the first paid in full and
    the second in part (their events synced, writing no payment fields); their numbers and the
    total each has."""
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    total = Decimal(str((harness.fortnox_entity("invoices", first) or {})["Total"]))
    await pay(harness, first, str(total))
    await pay(harness, second, "500.50")
    await feed.sync()
    return first, second, total


async def test_turning_payment_status_on_fills_the_linked_deals(harness: SyncHarness) -> None:
    first, second, total = await paid_and_partly_paid(harness)
    paid_order, partly_paid_order = await order_of(harness, first), await order_of(harness, second)
    assert payment_fields(harness, paid_order)["FORTNOX_PAYMENT_STATUS"] == ""  # off until now

    await turn_on(harness, paymentStatus=True)
    harness.fortnox.reset_counters()
    await harness.run_jobs()

    assert payment_fields(harness, paid_order) == expected("paid", str(total), "0.00", DAY)
    assert payment_fields(harness, partly_paid_order) == expected(
        "partly_paid", "500.50", str(total - Decimal("500.50")), DAY
    )
    (job,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert job.status == JobStatus.DONE, job.last_error
    result = job.result or {}
    assert result["orders_checked"] == 2
    assert result["written"] == 2
    assert result["payment_status"] == {"paid": 1, "partly_paid": 1}
    calls = harness.fortnox.request_counters().by_route
    assert calls.get("GET /3/invoices/{DocumentNumber}") == 2  # one read per linked invoice
    assert calls.get("GET /3/invoicepayments") == 2  # and its payments, as both have some


async def test_an_untouched_invoice_costs_one_read_and_a_second_run_writes_nothing(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    await turn_on(harness, paymentStatus=True)
    harness.fortnox.reset_counters()
    await harness.run_jobs()

    total = str(Decimal(str((harness.fortnox_entity("invoices", first) or {})["Total"])))
    for number in (first, second):
        shown = payment_fields(harness, await order_of(harness, number))
        assert shown == expected("open", "0.00", f"{Decimal(total):.2f}", "")
    calls = harness.fortnox.request_counters().by_route
    assert calls.get("GET /3/invoices/{DocumentNumber}") == 2
    assert calls.get("GET /3/invoicepayments") is None  # nothing booked against either

    await turn_on(harness, paymentStatus=False)
    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()
    second_run = (await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS))[-1]
    assert second_run.status == JobStatus.DONE
    assert (second_run.result or {})["written"] == 0
    assert (second_run.result or {})["unchanged"] == 2


async def test_a_credited_invoice_shows_credited(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    first, _ = await two_booked_invoices(harness)
    await feed.sync()
    await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    await feed.sync()
    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()
    shown = payment_fields(harness, await order_of(harness, first))
    assert shown["FORTNOX_PAYMENT_STATUS"] == status_text("credited")


async def test_turning_document_links_on_links_every_linked_deal(harness: SyncHarness) -> None:
    (field_id,) = harness.upsales.seed_many(
        harness.demo.customer_id,
        {"customfields/order": [{"name": "Faktura (PDF)", "alias": URL_ALIAS, "datatype": "Link"}]},
    )["customfields/order"]
    feed = EventFeed(harness)
    numbers = await two_booked_invoices(harness)
    await feed.sync()

    await turn_on(harness, documentLinks=True)
    harness.fortnox.reset_counters()
    await harness.run_jobs()

    signing = LinkSigning.of(harness.services.settings)
    for number in numbers:
        order = harness.upsales_entity("orders", await order_of(harness, number))
        assert order is not None
        assert custom_value(order, int(field_id)) == await document_url(
            harness.services.session_factory,
            signing,
            harness.installation_id,
            FortnoxType.INVOICE,
            number,
        )
    assert harness.fortnox.request_counters().by_route == {}  # a link needs nothing of Fortnox


async def test_turning_a_setting_off_writes_nothing(harness: SyncHarness) -> None:
    await harness.update_settings(payment_status=True)
    await paid_and_partly_paid(harness)
    await turn_on(harness, paymentStatus=False, documentLinks=False)
    assert await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS) == []


async def test_an_interrupted_refresh_resumes_after_its_last_page(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_fields_refresh, "PAGE_SIZE", 1)
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    first_order, second_order = await order_of(harness, first), await order_of(harness, second)
    assert first_order < second_order
    await turn_on(harness, paymentStatus=True)
    # as a run stopped once its first page was checkpointed leaves the job
    done_first = {"orders": {"written": 1}, "statuses": {"open": 1}}
    async with harness.services.session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.kind == JobKind.REFRESH_ORDER_FIELDS)
            .values(
                payload={
                    "settings": "paymentStatus",
                    "after_order": first_order,
                    "tally": done_first,
                }
            )
        )
        await session.commit()
    harness.fortnox.reset_counters()
    await harness.run_jobs()

    assert payment_fields(harness, first_order)["FORTNOX_PAYMENT_STATUS"] == ""  # not again
    assert payment_fields(harness, second_order)["FORTNOX_PAYMENT_STATUS"] == status_text("open")
    assert harness.fortnox.request_counters().by_route == {"GET /3/invoices/{DocumentNumber}": 1}
    (job,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert job.payload["after_order"] == second_order  # checkpointed after each page
    assert (job.result or {})["orders_checked"] == 2
    assert (job.result or {})["payment_status"] == {"open": 2}


async def test_a_login_without_the_payment_scope_ends_the_refresh_with_its_reason(
    harness: SyncHarness,
) -> None:
    first, second, _ = await paid_and_partly_paid(harness)
    await login_without_payment_scope(harness)
    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()

    (job,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["payment_scope_missing"] is True
    for number in (first, second):  # their payments unread: nothing shown rather than a guess
        shown = payment_fields(harness, await order_of(harness, number))
        assert shown["FORTNOX_PAYMENT_STATUS"] == ""
