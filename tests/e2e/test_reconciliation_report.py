"""The reconciliation report against both sandboxes: clean after a calm run; each kind of
difference found when injected, and its repair (through the operator API) making it clean."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness, build_harness, harness_settings
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call, link_of
from tests.e2e.outbound_support import ARTICLES, link_demo_products, win
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow
from upsales_fortnox.models.operations import AlertState
from upsales_fortnox.vocabulary import FortnoxType, SyncType


async def report(harness: SyncHarness, start: dt.date, end: dt.date) -> dict[str, Any]:
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/reconciliation",
        params={"from": start.isoformat(), "to": end.isoformat()},
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def repair(harness: SyncHarness, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/reconciliation/repair",
        params={"from": start.isoformat(), "to": end.isoformat()},
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    queued: list[dict[str, Any]] = response.json()["queued"]
    return queued


def period(harness: SyncHarness) -> tuple[dt.date, dt.date]:
    """The days of the Fortnox invoices (the demo account's own deals are older)."""
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items.values()
    dates = [dt.date.fromisoformat(invoice["InvoiceDate"]) for invoice in invoices]
    return min(dates), max(dates)


async def new_invoice(harness: SyncHarness) -> str:
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="2001",
            InvoiceRows=[
                InvoiceRow(
                    ArticleNumber=next(iter(ARTICLES)),
                    DeliveredQuantity=Decimal(3),
                    Price=Decimal(900),
                )
            ],
        )
    )
    return str(invoice.DocumentNumber)


async def calm(harness: SyncHarness) -> tuple[EventFeed, str, str]:
    """Two Fortnox invoices (one booked) imported into Upsales."""
    await link_demo_products(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )
    feed = EventFeed(harness)
    booked = await new_invoice(harness)
    await fortnox_call(harness, "PUT", f"/invoices/{booked}/bookkeep")
    unbooked = await new_invoice(harness)
    await feed.sync()
    return feed, booked, unbooked


async def test_a_calm_run_reports_no_difference(harness: SyncHarness) -> None:
    await calm(harness)
    start, end = period(harness)
    found = await report(harness, start, end)
    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]
    assert found["upsales"]["SEK"]["count"] == 2


async def test_each_injected_difference_is_found_and_repaired(harness: SyncHarness) -> None:
    feed, booked, unbooked = await calm(harness)
    # missing in Fortnox: a deal won while no hook reached the service
    won = win(harness, harness.demo.opportunity_id, date=period(harness)[0].isoformat())
    # missing in Upsales: an invoice whose events were lost
    lost_events = await new_invoice(harness)
    feed.new_events()  # dropped
    # amount differs: the imported order edited in Upsales
    booked_link = await link_of(harness, FortnoxType.INVOICE, booked)
    assert booked_link is not None
    order = harness.upsales.get_entity(harness.demo.customer_id, "orders", booked_link.upsales_id)
    assert order is not None
    order["value"] = Decimal(order["value"]) + 1
    # stage differs: an invoice cancelled in Fortnox, its event lost
    await fortnox_call(harness, "PUT", f"/invoices/{unbooked}/cancel")
    feed.new_events()  # dropped
    start, end = period(harness)

    cancelled_link = await link_of(harness, FortnoxType.INVOICE, unbooked)
    assert cancelled_link is not None
    found = await report(harness, start, end)
    kinds = {(d["kind"], d["upsalesOrder"], d["fortnoxDocument"]) for d in found["differences"]}
    assert kinds == {
        ("missing_in_fortnox", won["id"], None),
        ("missing_in_upsales", None, f"invoice {lost_events}"),
        ("amount_differs", booked_link.upsales_id, f"invoice {booked}"),
        (
            "stage_differs",
            cancelled_link.upsales_id,
            f"invoice {unbooked}",
        ),
    }

    assert await report_alert(harness) == (True, False)  # raised, not resolved

    queued = await repair(harness, start, end)
    assert len(queued) == 4
    await harness.run_jobs()
    await feed.sync()
    after = await report(harness, *period(harness))
    assert after["clean"] is True, after["differences"]
    assert await report_alert(harness) == (True, True)  # the clean report resolved it


@pytest.fixture
async def order_module(database_url: str, engine: AsyncEngine) -> AsyncIterator[SyncHarness]:
    built = await build_harness(harness_settings(database_url), engine, sync_type=SyncType.ORDER)
    built.fortnox.seed(
        built.tenant_id,
        customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    yield built
    await built.service.aclose()
    await built.services.http.aclose()


async def imported_order(
    harness: SyncHarness, feed: EventFeed, day: dt.date, *, ordered: int = 2, delivered: int = 2
) -> int:
    """A Fortnox order of ``day`` (consulting hours at 1000 kr), imported: its number."""
    context = await context_of(harness)
    row = OrderRow(
        ArticleNumber="KONS-1",
        OrderedQuantity=Decimal(ordered),
        DeliveredQuantity=Decimal(delivered),
        Price=Decimal(1000),
    )
    order = await context.fortnox.create_order(
        Order(CustomerNumber="2001", OrderDate=day, OrderRows=[row])
    )
    assert order.DocumentNumber is not None
    await feed.sync()
    return order.DocumentNumber


async def invoiced_order(harness: SyncHarness, feed: EventFeed, day: dt.date) -> tuple[int, int]:
    """A Fortnox order of ``day`` imported, then invoiced: the order's and invoice's numbers."""
    number = await imported_order(harness, feed, day)
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice_from_order(number)
    assert invoice.DocumentNumber is not None
    return number, invoice.DocumentNumber


async def test_an_order_whose_invoice_is_cancelled_agrees_with_its_lost_upsales_order(
    order_module: SyncHarness,
) -> None:
    harness, feed, day = order_module, EventFeed(order_module), dt.date(2024, 5, 20)
    cancelled_order, cancelled_invoice = await invoiced_order(harness, feed, day)
    await (await context_of(harness)).fortnox.cancel_invoice(cancelled_invoice)
    open_order, _ = await invoiced_order(harness, feed, day)
    await feed.sync()
    lost = await link_of(harness, FortnoxType.ORDER, str(cancelled_order))
    assert lost is not None
    lost_order = harness.upsales_entity("orders", lost.upsales_id)
    assert lost_order is not None and lost_order["probability"] == 0  # moved there by the sync
    # an order lost by hand in Upsales while its invoice is open still differs
    kept = await link_of(harness, FortnoxType.ORDER, str(open_order))
    assert kept is not None
    by_hand = harness.upsales.get_entity(harness.demo.customer_id, "orders", kept.upsales_id)
    assert by_hand is not None
    by_hand["probability"] = 0

    found = await report(harness, day, day)

    differences = [
        (d["kind"], d["upsalesOrder"], d["fortnoxDocument"]) for d in found["differences"]
    ]
    assert differences == [("stage_differs", kept.upsales_id, f"order {open_order}")]
    assert found["fortnox"]["SEK"]["count"] == 1  # the cancelled invoice's order is not open


async def report_alert(harness: SyncHarness) -> tuple[bool, bool]:
    """Whether the report's alert was raised for this installation, and whether it is resolved."""
    async with harness.services.session_factory() as session:
        alerts = [
            alert
            for alert in (await session.scalars(select(AlertState))).all()
            if alert.installation_id == harness.installation_id
            and alert.kind == "reconciliation_differences"
        ]
    return bool(alerts), bool(alerts) and all(a.resolved_at is not None for a in alerts)


async def test_a_bad_period_is_a_422(harness: SyncHarness) -> None:
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/reconciliation",
        params={"from": "2026-12-02", "to": "2026-12-01"},
        headers=harness.admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_period"


async def test_a_partly_delivered_order_agrees_with_its_imported_upsales_order(
    order_module: SyncHarness,
) -> None:
    harness, day = order_module, dt.date(2024, 5, 20)
    number = await imported_order(harness, EventFeed(harness), day, ordered=10, delivered=4)
    link = await link_of(harness, FortnoxType.ORDER, str(number))
    assert link is not None
    imported = harness.upsales_entity("orders", link.upsales_id)
    assert imported is not None
    found = await report(harness, day, day)
    assert found["clean"] is True, (imported["value"], found["differences"])


async def test_an_imported_invoices_order_taken_back_from_won_differs_and_is_repaired(
    harness: SyncHarness,
) -> None:
    """An order made of a Fortnox invoice, moved back to an opportunity in Upsales while the
    invoice is open: a difference, whose repair (a sync of the invoice) wins the order again."""
    feed, booked, _ = await calm(harness)
    link = await link_of(harness, FortnoxType.INVOICE, booked)
    assert link is not None
    order = harness.upsales.get_entity(harness.demo.customer_id, "orders", link.upsales_id)
    assert order is not None
    order["probability"] = 50
    start, end = period(harness)

    found = await report(harness, start, end)

    assert [
        (d["kind"], d["upsalesOrder"], d["fortnoxDocument"], d["repair"]["jobKind"])
        for d in found["differences"]
    ] == [("stage_differs", link.upsales_id, f"invoice {booked}", "fortnox.invoice")]
    await repair(harness, start, end)
    await harness.run_jobs()
    await feed.sync()
    after = await report(harness, start, end)
    assert after["clean"] is True, after["differences"]
    assert after["upsales"] == after["fortnox"]


async def test_a_clean_report_of_another_period_leaves_the_alert_of_a_period_that_differs(
    harness: SyncHarness,
) -> None:
    """January differs; a clean report of another month says nothing about January, so the
    alert stays until January itself reports clean."""
    await calm(harness)
    start, end = period(harness)
    win(harness, harness.demo.opportunity_id, date=start.isoformat())  # its hook never came
    assert (await report(harness, start, end))["clean"] is False
    assert await report_alert(harness) == (True, False)

    quiet = start - dt.timedelta(days=400)
    assert (await report(harness, quiet, quiet))["clean"] is True

    assert await report_alert(harness) == (True, False)  # still raised
    await repair(harness, start, end)
    await harness.run_jobs()
    assert (await report(harness, start, end))["clean"] is True
    assert await report_alert(harness) == (True, True)
