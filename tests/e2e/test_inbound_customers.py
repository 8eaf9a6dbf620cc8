"""Fortnox customers reach Upsales: created, matched, updated, deleted."""

from __future__ import annotations

import unicodedata

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    change_event,
    companies_named,
    context_of,
    custom_value,
    dead_jobs,
    jobs_of,
    link_of,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType


async def test_a_fortnox_customer_appears_in_upsales_with_its_number(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "2001",
                "Name": "Göta Kanal AB",
                "OrganisationNumber": "556000-1111",
                "Address1": "Kanalvägen 1",
                "ZipCode": "591 35",
                "City": "Motala",
                "Phone1": "0141-20 20 20",
            }
        ],
    )
    accounts_before = len(harness.upsales_entities("accounts"))

    assert await feed.sync() == 1

    (company,) = companies_named(harness, "Göta Kanal AB")
    assert len(harness.upsales_entities("accounts")) == accounts_before + 1
    assert company["orgNo"] == "556000-1111" and company["phone"] == "0141-20 20 20"
    assert company["addresses"][0]["city"] == "Motala"
    field_id = harness.demo.account_fortnox_customer_number_field_id
    assert custom_value(company, field_id) == "2001"
    link = await link_of(harness, FortnoxType.CUSTOMER, "2001")
    assert link is not None and link.upsales_id == company["id"]
    (job,) = await jobs_of(harness, "fortnox.customer", "2001")
    assert job.result == {
        "fortnox_customer": "2001",
        "upsales_company": company["id"],
        "outcome": "created",
    }


async def test_a_customer_already_in_upsales_is_linked_not_duplicated(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "1001",
                "Name": "Nordisk Verkstad",
                "OrganisationNumber": "5566778899",
            }
        ],
    )
    accounts_before = len(harness.upsales_entities("accounts"))

    await feed.sync()

    assert len(harness.upsales_entities("accounts")) == accounts_before
    (company,) = companies_named(harness, "Nordisk Verkstad AB")  # its Upsales name is kept
    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) == "1001"
    link = await link_of(harness, FortnoxType.CUSTOMER, "1001")
    assert link is not None and link.upsales_id == company["id"]


@pytest.mark.parametrize(
    "fortnox_name",
    [
        pytest.param("FJÄLLBACKA FISK & SKALDJUR AB", id="upper-case"),
        pytest.param(unicodedata.normalize("NFD", "Fjällbacka Fisk & Skaldjur AB"), id="nfd"),
    ],
)
async def test_a_customer_named_like_a_company_up_to_case_or_composition_is_linked(
    harness: SyncHarness, fortnox_name: str
) -> None:
    feed = EventFeed(harness)
    await feed.sync()
    accounts_before = len(harness.upsales_entities("accounts"))
    (company,) = companies_named(harness, "Fjällbacka Fisk & Skaldjur AB")
    harness.fortnox.seed(  # no organisation number: the name is the key
        harness.tenant_id, customers=[{"CustomerNumber": "77", "Name": fortnox_name}]
    )

    await feed.sync()

    assert len(harness.upsales_entities("accounts")) == accounts_before
    link = await link_of(harness, FortnoxType.CUSTOMER, "77")
    assert link is not None and link.upsales_id == company["id"]
    (linked,) = companies_named(harness, "Fjällbacka Fisk & Skaldjur AB")  # its name is kept
    assert custom_value(linked, harness.demo.account_fortnox_customer_number_field_id) == "77"


async def test_a_customer_whose_long_name_a_company_holds_cut_is_linked(
    harness: SyncHarness,
) -> None:
    """Upsales holds a company name up to its length: a customer with a longer name finds the
    company that holds it cut (one made of it before its link was saved, say)."""
    feed = EventFeed(harness)
    await feed.sync()
    long_name = "Bostadsrättsföreningen Solrosen i Västra Frölunda " * 3
    (company_id,) = harness.upsales.seed(
        harness.demo.customer_id, "accounts", [{"name": long_name[:100].strip()}]
    )
    accounts_before = len(harness.upsales_entities("accounts"))
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "78", "Name": long_name}])

    await feed.sync()

    assert len(harness.upsales_entities("accounts")) == accounts_before
    link = await link_of(harness, FortnoxType.CUSTOMER, "78")
    assert link is not None and link.upsales_id == company_id


async def test_two_candidates_are_never_guessed(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    harness.upsales.seed(
        harness.demo.customer_id, "accounts", [{"name": "Twin AB"}, {"name": "Twin AB"}]
    )
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "3", "Name": "Twin AB"}])

    await feed.sync()

    (dead,) = await dead_jobs(harness)
    assert dead.last_error is not None and dead.last_error.startswith("ambiguous_match")
    assert len(companies_named(harness, "Twin AB")) == 2
    assert await link_of(harness, FortnoxType.CUSTOMER, "3") is None


async def test_a_company_identified_from_a_website_visit_is_no_candidate(
    harness: SyncHarness,
) -> None:
    """A website visitor Upsales identified (``isExternal`` 1) beside the account's own company
    of the same name: the customer links to the account's own, not dies ambiguous."""
    feed = EventFeed(harness)
    own, _visitor = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Twin AB"}, {"name": "Twin AB", "isExternal": 1}],
    )
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "3", "Name": "Twin AB"}])

    await feed.sync()

    assert await dead_jobs(harness) == []
    link = await link_of(harness, FortnoxType.CUSTOMER, "3")
    assert link is not None and link.upsales_id == own


async def test_changes_in_fortnox_update_the_company_and_echoes_write_nothing(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "7", "Name": "Ek AB"}])
    await feed.sync()
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Name="Ek & Björk AB", Phone1="08-1"))

    await feed.sync()

    (company,) = companies_named(harness, "Ek & Björk AB")
    assert company["phone"] == "08-1"
    writes = harness.services.upsales_calls["PUT /accounts/{id}"]
    await feed.enqueue([change_event(harness, "customers", "7", "replayed-7")])
    await harness.run_jobs()
    assert harness.services.upsales_calls["PUT /accounts/{id}"] == writes
    assert (await jobs_of(harness, "fortnox.customer", "7"))[-1].result == {
        "fortnox_customer": "7",
        "upsales_company": company["id"],
        "outcome": "unchanged",
    }


async def test_a_customer_deleted_in_fortnox_loses_its_number_not_its_company(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "9", "Name": "Ask AB"}])
    await feed.sync()
    context = await context_of(harness)
    await context.fortnox.delete_customer("9")

    await feed.sync()

    (company,) = companies_named(harness, "Ask AB")
    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) is None
    assert await link_of(harness, FortnoxType.CUSTOMER, "9") is None
    assert (await jobs_of(harness, "fortnox.customer", "9"))[-1].result == {
        "fortnox_customer": "9",
        "upsales_company": None,
        "outcome": "unlinked",
    }


async def test_a_customer_whose_number_holds_a_slash_is_not_taken_for_deleted(
    harness: SyncHarness,
) -> None:
    """The sandbox answers 404 for "K%2F1" in a path, as many servers do; whether Fortnox does
    is unverified. The bookkeeper's edit of customer "K/1" (imported) must then not unlink it
    nor wipe its number from the company: the job stops, saying why, for an operator."""
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "K/1", "Name": "Snedstreck AB"}]
    )
    started = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync", headers=harness.admin_headers
    )
    assert started.status_code == 202, started.text
    await harness.run_jobs()
    link = await link_of(harness, FortnoxType.CUSTOMER, "K/1")
    assert link is not None
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.collection("customers").get("K/1")["Phone1"] = "08-123 45 67"
    tenant.emit("customers", "customer-updated-v1", "K/1")

    await EventFeed(harness).sync()

    assert await link_of(harness, FortnoxType.CUSTOMER, "K/1") is not None
    company = harness.upsales_entity("accounts", link.upsales_id)
    assert company is not None
    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) == "K/1"
    (job,) = await jobs_of(harness, "fortnox.customer", "K/1")
    assert (job.last_error or "").startswith("fortnox_number_unreadable"), job.last_error
