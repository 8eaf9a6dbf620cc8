"""A Fortnox customer made inactive by the bookkeeper: not brought to Upsales as a new company,
nor are its new documents, while a customer linked already keeps its company up to date."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    companies_named,
    consultancy_invoice,
    context_of,
    dead_jobs,
    jobs_of,
    link_of,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType, JobStatus


async def test_an_inactive_customer_not_linked_is_not_imported(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    await feed.sync()
    harness.upsales.seed(harness.demo.customer_id, "accounts", [{"name": "Gamla Kunden AB"}])
    accounts_before = len(harness.upsales_entities("accounts"))
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "4001", "Name": "Vilande Handel AB", "Active": False},
            {"CustomerNumber": "4002", "Name": "Gamla Kunden AB", "Active": False},
        ],
    )

    await feed.sync()

    assert len(harness.upsales_entities("accounts")) == accounts_before
    assert companies_named(harness, "Vilande Handel AB") == []
    for number in ("4001", "4002"):
        assert await link_of(harness, FortnoxType.CUSTOMER, number) is None
        (job,) = await jobs_of(harness, "fortnox.customer", number)
        assert job.result is not None and job.result["outcome"] == "customer_inactive"


async def test_a_linked_customer_made_inactive_still_updates_its_company(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "4010", "Name": "Aktiv Handel AB"}]
    )
    await feed.sync()
    (company,) = companies_named(harness, "Aktiv Handel AB")
    context = await context_of(harness)
    await context.fortnox.update_customer(
        "4010", Customer(Name="Aktiv Handel i Likvidation AB", Active=False)
    )

    await feed.sync()

    (renamed,) = companies_named(harness, "Aktiv Handel i Likvidation AB")
    assert renamed["id"] == company["id"]
    link = await link_of(harness, FortnoxType.CUSTOMER, "4010")
    assert link is not None and link.upsales_id == company["id"]


async def test_an_invoice_of_an_inactive_customer_not_in_upsales_is_skipped_not_dead(
    harness: SyncHarness,
) -> None:
    """The bookkeeper invoices a customer, then retires it before the sync sees either (the
    invoice's later events, booked or paid, come alike): the invoice is left out as its
    customer is, as the initial import leaves it, instead of a dead job saying the customer
    does not exist."""
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "4020", "Name": "Vilande Handel AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    invoice = await consultancy_invoice(harness, "4020", Decimal(1))
    await (await context_of(harness)).fortnox.update_customer("4020", Customer(Active=False))
    orders_before = len(harness.upsales_entities("orders"))

    await feed.sync()

    assert await dead_jobs(harness) == []
    (job,) = await jobs_of(harness, "fortnox.invoice", str(invoice.DocumentNumber))
    assert job.status == JobStatus.DONE
    assert job.result == {
        "fortnox_invoice": str(invoice.DocumentNumber),
        "outcome": "skip",
        "reason": "customer_inactive",
    }
    assert len(harness.upsales_entities("orders")) == orders_before
    assert companies_named(harness, "Vilande Handel AB") == []
