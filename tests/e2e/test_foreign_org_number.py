"""A company abroad with its own country's organisation number (a Norwegian ``923 609 016``) is
no company Fortnox refuses: its won deal is sent, the customer gets no organisation number (no
Swedish-shaped one forced on it), and the company keeps its number through later edits and the
Fortnox echoes."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import settle
from tests.e2e.outbound_support import edit, link_demo_products, sync_company, sync_order, win
from ufs_sandboxes.fortnox.resources.customers import update_customer
from upsales_fortnox.sync.order_answers import answer_before_order_save
from upsales_fortnox.vocabulary import JobStatus

NORWEGIAN_ORG_NUMBER = "923 609 016"


def _company(harness: SyncHarness) -> dict[str, Any]:
    company = harness.upsales_entity("accounts", harness.demo.account_ids[0])
    assert company is not None
    return company


def _fortnox_writes(harness: SyncHarness) -> dict[str, int]:
    return {
        k: v for k, v in harness.services.fortnox_calls.items() if v and not k.startswith("GET")
    }


async def test_a_norwegian_company_with_its_own_org_number_is_invoiced_and_keeps_it(
    harness: SyncHarness,
) -> None:
    company_id = harness.demo.account_ids[0]
    (vat_field,) = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [{"name": "Momsnummer", "alias": "FORTNOX_VAT_NUMBER", "datatype": "String"}],
    )
    address = {"type": "Mail", "address": "Karl Johans gate 1", "zipcode": "0154", "city": "Oslo"}
    edit(
        harness,
        "accounts",
        company_id,
        {
            "orgNo": NORWEGIAN_ORG_NUMBER,
            "addresses": [{**address, "country": "NO"}],
            "custom": [{"fieldId": vat_field, "value": "NO923609016MVA"}],
        },
    )
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    result = job.result or {}
    assert result["customer"] == "created"
    assert result["fortnox_invoice"]
    number = result["fortnox_customer"]
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert not customer.get("OrganisationNumber")
    assert (customer["CountryCode"], customer["VATNumber"]) == ("NO", "NO923609016MVA")
    assert _company(harness)["orgNo"] == NORWEGIAN_ORG_NUMBER

    # a later edit in Upsales is sent, without the organisation number
    edit(harness, "accounts", company_id, {"phone": "+47 22 00 00 00"})
    job = await sync_company(harness, company_id)
    assert (job.result or {})["outcome"] == "updated", job.result
    assert (job.result or {})["updated_fields"] == ["phone"]
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert customer["Phone1"] == "+47 22 00 00 00"
    assert not customer.get("OrganisationNumber")

    # the echoes of those writes, and a bookkeeper's edit of the customer, come back to Upsales
    # without clearing the number, and send nothing back to Fortnox
    harness.connect_upsales_hooks()
    update_customer(harness.fortnox.tenant(harness.tenant_id), number, {"City": "Bergen"})
    await settle(harness)
    harness.services.fortnox_calls.clear()
    await settle(harness)

    company = _company(harness)
    assert company["orgNo"] == NORWEGIAN_ORG_NUMBER
    assert [a["city"] for a in company["addresses"] if a["type"] == "Mail"] == ["Bergen"]
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert not customer.get("OrganisationNumber")
    assert _fortnox_writes(harness) == {}


async def test_a_swedish_company_with_a_foreign_shaped_org_number_is_still_refused(
    harness: SyncHarness,
) -> None:
    """In Sweden (or of no known country) such a number is a typo: the deal is not sent."""
    edit(harness, "accounts", harness.demo.account_ids[0], {"orgNo": NORWEGIAN_ORG_NUMBER})
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD
    assert job.last_error is not None and "company_not_accepted_by_fortnox" in job.last_error


async def test_before_order_save_tells_only_a_company_in_sweden_of_the_number(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    order = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    answers = {}
    for country in ("NO", "SE"):
        client = {
            "id": 99,
            "name": "Fjord AS",
            "orgNo": NORWEGIAN_ORG_NUMBER,
            "addresses": [{"type": "Mail", "city": "Oslo", "country": country}],
        }
        hook = {"type": "before_order_save", "data": {"obj": {**order, "probability": 100}}}
        hook["data"]["obj"]["client"] = client
        answers[country] = await answer_before_order_save(
            harness.services, harness.installation_id, hook
        )

    assert (answers["NO"].status_code, answers["NO"].body) == (200, {"status": "ok"})
    assert answers["SE"].status_code == 400
    message = answers["SE"].body["message"]
    assert "organisationsnumret '923 609 016' är inte ett svenskt organisationsnummer" in message
    assert "ange landet i adressen om företaget finns utomlands" in message


async def test_before_order_save_does_not_judge_a_number_whose_country_the_hook_leaves_out(
    harness: SyncHarness,
) -> None:
    """A hook whose company carries its organisation number but not its addresses says nothing
    of the country the number is judged by: the Norwegian company's won deal is saved (and sent,
    its job reading the whole company), not refused with a request to give the country the
    company has already."""
    await link_demo_products(harness)
    company_id = harness.demo.account_ids[0]
    address = {"type": "Mail", "address": "Karl Johans gate 1", "city": "Oslo", "country": "NO"}
    edit(harness, "accounts", company_id, {"orgNo": NORWEGIAN_ORG_NUMBER, "addresses": [address]})
    order = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    client = {"id": company_id, "name": "Fjord AS", "orgNo": NORWEGIAN_ORG_NUMBER}
    hook = {"type": "before_order_save", "data": {"obj": {**order, "probability": 100}}}
    hook["data"]["obj"]["client"] = client

    answer = await answer_before_order_save(harness.services, harness.installation_id, hook)

    assert (answer.status_code, answer.body) == (200, {"status": "ok"})
    win(harness, harness.demo.opportunity_id)
    job = await sync_order(harness, harness.demo.opportunity_id)
    assert job.status == JobStatus.DONE, job.last_error
