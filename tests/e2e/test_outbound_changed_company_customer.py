"""A company changed (a new organisation number, or one given to a company that had none) while
the create of its customer, whose answer was lost, may still land: the search by the fields it
has now cannot find that customer, so after the wait the deal looks for it by the fields the
create sent, links it, and queues the company's sync (run here with the deal's jobs), which
brings the change to Fortnox. The
company gets one customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, jobs_of, link_of, queue, win
from tests.e2e.won_deal_support import (
    earlier_creates_settle,
    fortnox_calls,
    hold_creates,
    run_due,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.outbound import deal_customer
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus, LinkEntity

CUSTOMERS = "customers"
NEW_ORG_NUMBER = "556045-6789"

CHANGES = {
    "a corrected organisation number": ({}, {"orgNo": NEW_ORG_NUMBER}),
    # a typo in the last digits: the same search (by the first six), another number
    "corrected last digits of the organisation number": ({}, {"orgNo": "556677-8808"}),
    "an organisation number given": ({"orgNo": ""}, {"orgNo": NEW_ORG_NUMBER}),
    "a new name, without an organisation number": (
        {"orgNo": ""},
        {"name": "Nordisk Verkstad Väst AB"},
    ),
}


def fortnox_customers(harness: SyncHarness) -> list[dict[str, Any]]:
    found = []
    for number in range(1, 10):
        customer = harness.fortnox_entity(CUSTOMERS, str(number))
        if customer is not None:
            found.append(customer)
    return found


async def _won_then_changed_while_its_create_may_land(
    harness: SyncHarness,
    monkeypatch: pytest.MonkeyPatch,
    before: dict[str, Any],
    change: dict[str, Any],
) -> tuple[int, int, list[Any]]:
    """The deal's company (``before`` applied first) has no customer; the deal's run sends its
    create, whose answer is lost; then ``change`` is made to the company in Upsales and the
    deal's retry waits. The company's id, the job's, and the held create."""
    order_id = harness.demo.opportunity_id
    company_id = win(harness, order_id)["client"]["id"]
    if before:
        edit(harness, "accounts", company_id, before)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)  # the customer's create is held: not committed yet
    edit(harness, "accounts", company_id, change)
    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert len(held) == 1
    return company_id, job_id, held


def _change_reached_the_customer(
    harness: SyncHarness, company_id: int, change: dict[str, Any]
) -> None:
    """Customer 1 shows the company as it is now; Upsales keeps the change (Fortnox did not win
    it back)."""
    customer = harness.fortnox_entity(CUSTOMERS, "1")
    company = harness.upsales_entity("accounts", company_id)
    assert customer is not None and company is not None
    assert customer["Name"] == company["name"]
    assert customer["OrganisationNumber"] == (company.get("orgNo") or "")
    for field, value in change.items():
        assert company[field] == value


@pytest.mark.parametrize("changed", list(CHANGES))
async def test_the_customer_made_before_the_change_is_linked_and_changed(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    harness = linked
    before, change = CHANGES[changed]
    company_id, job_id, held = await _won_then_changed_while_its_create_may_land(
        harness, monkeypatch, before, change
    )
    await held.pop().land()
    await earlier_creates_settle(harness)
    harness.services.fortnox_calls.clear()

    done = await run_due(harness, job_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "matched"
    assert len(fortnox_customers(harness)) == 1
    assert fortnox_calls(harness).get("POST /customers", 0) == 0
    customer_link = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer_link is not None and customer_link.fortnox_id == "1"
    company_jobs = [
        job
        for job in await jobs_of(harness, JobKind.UPSALES_COMPANY)
        if job.entity_id == str(company_id)
    ]
    assert [job.status for job in company_jobs] == [JobStatus.DONE]  # queued with the link
    _change_reached_the_customer(harness, company_id, change)


async def test_a_create_that_never_landed_is_made_after_the_wait_under_the_new_fields(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    _, job_id, held = await _won_then_changed_while_its_create_may_land(
        harness, monkeypatch, {}, {"orgNo": NEW_ORG_NUMBER}
    )
    await held.pop().cancel()  # Fortnox stopped it with its client
    await earlier_creates_settle(harness)

    done = await run_due(harness, job_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "created"
    customers = fortnox_customers(harness)
    assert [customer["OrganisationNumber"] for customer in customers] == [NEW_ORG_NUMBER]
    company_jobs = await jobs_of(harness, JobKind.UPSALES_COMPANY)
    assert [job.entity_id for job in company_jobs] == []  # made of the fields it has: no sync


@pytest.mark.parametrize("changed", list(CHANGES))
async def test_the_late_customers_fortnox_event_links_it_to_the_changed_company(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    """The create lands, and its Fortnox event is worked before the deal's retry: the
    customer is the changed company's (no second Upsales company), its change reaches Fortnox,
    and the deal then uses that link."""
    harness = linked
    before, change = CHANGES[changed]
    company_id, job_id, held = await _won_then_changed_while_its_create_may_land(
        harness, monkeypatch, before, change
    )
    await held.pop().land()
    companies_before = len(harness.upsales_entities("accounts"))

    await harness.deliver_fortnox_events(("customers",))
    await harness.run_jobs()

    assert len(harness.upsales_entities("accounts")) == companies_before
    customer_link = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer_link is not None and customer_link.fortnox_id == "1"
    _change_reached_the_customer(harness, company_id, change)
    await earlier_creates_settle(harness)

    done = await run_due(harness, job_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "linked"
    assert len(fortnox_customers(harness)) == 1


async def test_a_customer_the_fortnox_sync_linked_to_the_company_meanwhile_is_used(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The late customer's Fortnox event links it to the changed company while the deal's retry
    searches by the sent fields: the deal uses that link (no second customer)."""
    harness = linked
    company_id, job_id, held = await _won_then_changed_while_its_create_may_land(
        harness, monkeypatch, {}, {"orgNo": NEW_ORG_NUMBER}
    )
    await held.pop().land()
    await earlier_creates_settle(harness)
    searches = 0
    find_candidates = deal_customer.find_candidates

    async def the_fortnox_sync_links_meanwhile(
        fortnox: FortnoxPort, fields: Mapping[str, str | None]
    ) -> list[Customer]:
        nonlocal searches
        searches += 1
        found = await find_candidates(fortnox, fields)
        if searches == 2:  # the search by the sent fields
            async with harness.services.session_factory() as session:
                await LinkStore(session, harness.installation_id).save(
                    LinkEntity.COMPANY, company_id, FortnoxType.CUSTOMER, "1", None
                )
                await session.commit()
        return found

    monkeypatch.setattr(deal_customer, "find_candidates", the_fortnox_sync_links_meanwhile)

    done = await run_due(harness, job_id)

    assert searches == 2
    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "linked"
    assert len(fortnox_customers(harness)) == 1
    customer_link = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer_link is not None and customer_link.fortnox_id == "1"
