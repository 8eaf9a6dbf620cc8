"""Reconciliation finds Fortnox changes no event brought in, and records each window once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    companies_named,
    context_of,
    custom_value,
    fortnox_call,
    jobs_of,
    link_of,
    login_without_payment_scope,
    products_by_article_no,
)
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_payment_status import expected, money_on, payment_fields
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.sync.money.reconcile_money import PAYMENTS_CHECKPOINT
from upsales_fortnox.sync.reconcile import (
    reconcile_installation,
    schedule_reconciliation,
)
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus


async def reconcile_keys(harness: SyncHarness) -> list[str]:
    async with harness.services.session_factory() as session:
        keys = await session.scalars(
            select(InboundEvent.dedupe_key).where(InboundEvent.dedupe_key.contains(":reconcile:"))
        )
        return sorted(keys)


async def test_changes_without_events_are_found_and_synced(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="2001", InvoiceRows=[InvoiceRow(ArticleNumber="KONS-1")])
    )
    # No event is delivered: the scheduler queues reconciliation, which feeds the intake.
    assert await schedule_reconciliation(harness.services.session_factory) == 1
    assert await schedule_reconciliation(harness.services.session_factory) == 0  # coalesced
    await harness.run_jobs()
    (company,) = companies_named(harness, "Göta Kanal AB")
    orders = [
        o
        for o in harness.upsales_entities("orders")
        if o["description"] == f"Fortnox-faktura {invoice.DocumentNumber}"
    ]
    assert len(orders) == 1 and orders[0]["client"]["id"] == company["id"]
    (job,) = await jobs_of(harness, JobKind.FORTNOX_RECONCILE)
    assert job.result is not None
    assert job.result["changed"] == {
        "customers": 1,
        "articles": 1,
        "orders": 0,
        "invoices": 1,
        "offers": 0,
    }
    keys = await reconcile_keys(harness)
    assert len(keys) == 3 and all(key.startswith("fortnox:") for key in keys)
    assert any(key.startswith("fortnox:customers:reconcile:2001:") for key in keys)


async def test_a_rerun_of_the_same_window_records_nothing_twice(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )
    moment = datetime.now(UTC)
    first = await reconcile_installation(
        harness.services, harness.installation_id, clock=lambda: moment
    )
    assert first.changed["customers"] == 1
    async with harness.services.session_factory() as session:  # a crash before the checkpoints
        await session.execute(delete(ReconcileCheckpoint))
        await session.commit()

    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: moment)

    assert len(await reconcile_keys(harness)) == 1
    assert len(await jobs_of(harness, "fortnox.customer", "2001")) == 1


async def test_a_customer_deleted_without_an_event_is_unlinked_by_the_sweep(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "9", "Name": "Ask AB"}])
    await feed.sync()
    context = await context_of(harness)
    await context.fortnox.delete_customer("9")  # its event is never delivered

    await reconcile_installation(harness.services, harness.installation_id)
    await harness.run_jobs()

    (company,) = companies_named(harness, "Ask AB")
    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) is None
    assert await link_of(harness, FortnoxType.CUSTOMER, "9") is None


async def test_a_payment_after_two_runs_in_one_minute_reaches_the_order(
    harness: SyncHarness,
) -> None:
    feed, number, order_id, total = await money_on(harness)
    await pay(harness, number, "200")
    feed.new_events()  # the payments' events are lost
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    for moment in (start, start + timedelta(seconds=20)):  # a run, and its retry that minute
        await reconcile_installation(
            harness.services, harness.installation_id, clock=lambda moment=moment: moment
        )
        await harness.run_jobs()
    assert payment_fields(harness, order_id)["FORTNOX_PAID_AMOUNT"] == "200.00"

    await pay(harness, number, "300")
    feed.new_events()
    # whether a payment touches its invoice's lastmodified is unverified: here it does not
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices")
    invoices.modified[number] = (start - timedelta(hours=1)).timestamp()
    later = start + timedelta(minutes=15)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: later)
    await harness.run_jobs()

    assert payment_fields(harness, order_id) == expected(
        "partly_paid", "500.00", str(total - 500), "2026-12-01"
    )


async def test_a_login_without_the_payment_scope_still_sweeps_and_keeps_its_payments_window(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "9", "Name": "Ask AB"}])
    await feed.sync()
    await harness.update_settings(payment_status=True)
    await login_without_payment_scope(harness)
    before = await checkpoint_of(harness, PAYMENTS_CHECKPOINT)
    context = await context_of(harness)
    await context.fortnox.delete_customer("9")  # its event is never delivered

    await schedule_reconciliation(harness.services.session_factory)
    await harness.run_jobs()

    (job,) = await jobs_of(harness, JobKind.FORTNOX_RECONCILE)
    assert job.status == JobStatus.DONE, job.last_error
    assert await link_of(harness, FortnoxType.CUSTOMER, "9") is None
    # the payments are listed from where they were once a login grants the scope
    assert await checkpoint_of(harness, PAYMENTS_CHECKPOINT) == before


async def checkpoint_of(harness: SyncHarness, topic: str) -> datetime | None:
    async with harness.services.session_factory() as session:
        row = await session.get(ReconcileCheckpoint, (harness.installation_id, topic))
        return None if row is None else row.checked_until


async def test_a_price_changed_in_the_chosen_price_list_reaches_its_product_within_a_day(
    harness: SyncHarness,
) -> None:
    """The bookkeeper changes an article's price in the chosen price list and nothing else: no
    event tells of it, and the article's lastmodified need not move. The daily sweep prices the
    products again, the change reaches Upsales, and a product taken out of sale is left be."""
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "B", "Description": "Partner"}],
        articles=[
            {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
            {"ArticleNumber": "GAMMAL-1", "Description": "Utgången tjänst", "Active": False},
        ],
        prices=[
            {"PriceList": "B", "ArticleNumber": "KONS-1", "Price": "1200.00"},
            {"PriceList": "B", "ArticleNumber": "GAMMAL-1", "Price": "300.00"},
        ],
    )
    await harness.update_settings(price_list="B")
    await feed.sync()
    start = datetime.now(UTC)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: start)
    await harness.run_jobs()
    articles = harness.fortnox.tenant(harness.tenant_id).collection("articles")
    for number in ("KONS-1", "GAMMAL-1"):  # made an hour before, untouched since
        articles.modified[number] = (start - timedelta(hours=1)).timestamp()
    await fortnox_call(harness, "PUT", "/prices/B/KONS-1", {"Price": {"Price": 1250.5}})
    await fortnox_call(harness, "PUT", "/prices/B/GAMMAL-1", {"Price": {"Price": 350}})
    assert await feed.sync() == 0  # no event
    soon = start + timedelta(hours=1)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: soon)
    await harness.run_jobs()
    assert products_by_article_no(harness)["KONS-1"]["listPrice"] == Decimal("1200.00")
    harness.fortnox.reset_counters()

    next_day = start + timedelta(days=1, minutes=1)
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: next_day)
    await harness.run_jobs()

    products = products_by_article_no(harness)
    assert products["KONS-1"]["listPrice"] == Decimal("1250.50")
    assert (products["GAMMAL-1"]["listPrice"], products["GAMMAL-1"]["active"]) == (
        Decimal("300.00"),
        0,
    )
    priced = "GET /3/prices/sublist/{PriceList}/{ArticleNumber}"
    active = [p for p in harness.upsales_entities("products") if p["articleNo"] and p["active"]]
    assert "GAMMAL-1" not in {p["articleNo"] for p in active}
    assert harness.fortnox.request_counters().by_route[priced] == len(active)
    # one a day, none at the first sweep (the import had just priced the products)
    (reprice,) = await jobs_of(harness, JobKind.REPRICE_PRODUCTS)
    assert reprice.status == JobStatus.DONE
