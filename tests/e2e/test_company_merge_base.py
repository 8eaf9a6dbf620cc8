"""Every company link keeps the base of the three-way merge (the fields as last synced), also
when the Fortnox → Upsales sync makes it: our own writes' echoes change nothing in the other
system, and edits made on both sides at about the same time both survive, in either order."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import companies_named, context_of, custom_value, link_of, settle
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType

LONG_NAME = (
    "Göteborgs Regionala Samordningsförbund för Återvinning, Miljöteknik och "
    "Hållbar Stadsutveckling i Västra Götaland Ekonomisk Förening"
)


def fortnox_writes(harness: SyncHarness) -> dict[str, int]:
    return {k: v for k, v in harness.services.fortnox_calls.items() if not k.startswith("GET")}


async def test_a_customer_linked_to_an_existing_company_is_not_rewritten_by_the_echo(
    harness: SyncHarness,
) -> None:
    """The bookkeeper adds a customer the CRM has already (same organisation number): the link
    writes the customer number to the company, and that write's hook sends nothing to Fortnox
    (the customer keeps its own name and address: Fortnox is the accounting record)."""
    harness.connect_upsales_hooks()
    await settle(harness)
    added = {
        "CustomerNumber": "1001",
        "Name": "Nordisk Verkstad Aktiebolag",
        "OrganisationNumber": "556677-8899",  # the Upsales company "Nordisk Verkstad AB"
        "Address1": "Industrivägen 5",
        "ZipCode": "417 05",
        "City": "Göteborg",
        "Phone1": "031-99 99 99",
    }
    harness.fortnox.seed(harness.tenant_id, customers=[added])
    harness.services.fortnox_calls.clear()

    await settle(harness)

    (company,) = companies_named(harness, "Nordisk Verkstad AB")
    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) == "1001"
    customer = harness.fortnox_entity("customers", "1001")
    assert customer is not None
    assert {key: str(customer.get(key)) for key in added} == added
    assert fortnox_writes(harness) == {}


async def test_a_long_name_given_in_fortnox_is_not_cut_there_by_the_echo(
    harness: SyncHarness,
) -> None:
    """Upsales keeps 100 characters of a name, Fortnox 1024: the company shows the name cut,
    the customer keeps it whole."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "4711", "Name": "Kort Namn AB"}]
    )
    await settle(harness)
    context = await context_of(harness)
    await context.fortnox.update_customer("4711", Customer(Name=LONG_NAME))
    harness.services.fortnox_calls.clear()

    await settle(harness)

    assert len(companies_named(harness, LONG_NAME[:100])) == 1
    customer = harness.fortnox_entity("customers", "4711")
    assert customer is not None and customer["Name"] == LONG_NAME
    assert fortnox_writes(harness) == {}


async def _hook(harness: SyncHarness, company: dict[str, Any]) -> None:
    body = {
        "type": "after_client_update",
        "apiKey": harness.demo.api_key,
        "data": {"object": company},
    }
    response = await harness.service.post(
        f"/webhooks/upsales/{harness.installation_id}",
        content=json.dumps(body, default=str),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text


async def _edited_on_both_sides(harness: SyncHarness) -> tuple[int, dict[str, Any]]:
    """A linked company with a merge base; then the sales rep renames it in Upsales (its hook
    held back) and the bookkeeper changes its phone in Fortnox (its event not yet delivered)."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "7", "Name": "Ek AB", "Phone1": "08-1", "City": "Umeå"}],
    )
    await settle(harness)
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(City="Luleå"))
    await settle(harness)
    link = await link_of(harness, FortnoxType.CUSTOMER, "7")
    assert link is not None and link.synced_fields is not None
    renamed = harness.upsales.update_entity(
        harness.demo.customer_id,
        "accounts",
        link.upsales_id,
        {"name": "Ek & Björk AB"},
        user_id=harness.demo.sales_rep_user_ids[0],
        fire_hooks=False,
    )
    await context.fortnox.update_customer("7", Customer(Phone1="08-2"))
    return link.upsales_id, dict(renamed)


def _both_edits_kept(harness: SyncHarness, company_id: int) -> None:
    company = harness.upsales_entity("accounts", company_id)
    customer = harness.fortnox_entity("customers", "7")
    assert company is not None and customer is not None
    assert (company["name"], company["phone"]) == ("Ek & Björk AB", "08-2"), company
    assert (customer["Name"], customer["Phone1"]) == ("Ek & Björk AB", "08-2"), customer


async def test_the_fortnox_event_worked_first_keeps_the_rename_made_in_upsales(
    harness: SyncHarness,
) -> None:
    company_id, renamed = await _edited_on_both_sides(harness)
    await harness.deliver_fortnox_events()
    await harness.run_jobs()
    await _hook(harness, renamed)

    await settle(harness)

    _both_edits_kept(harness, company_id)


async def test_the_upsales_hook_worked_first_keeps_the_phone_changed_in_fortnox(
    harness: SyncHarness,
) -> None:
    company_id, renamed = await _edited_on_both_sides(harness)
    await _hook(harness, renamed)
    await harness.run_jobs()

    await settle(harness)

    _both_edits_kept(harness, company_id)


async def test_a_rename_in_upsales_of_a_long_fortnox_name_reaches_fortnox(
    harness: SyncHarness,
) -> None:
    """The company holds the name cut to 100 characters: the same name as the customer's, so
    renaming it in Upsales is an Upsales edit, sent."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "4711", "Name": LONG_NAME}]
    )
    await settle(harness)
    (company,) = companies_named(harness, LONG_NAME[:100])

    harness.upsales.update_entity(
        harness.demo.customer_id,
        "accounts",
        company["id"],
        {"name": "GRS Återvinning"},
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    await settle(harness)

    customer = harness.fortnox_entity("customers", "4711")
    assert customer is not None and customer["Name"] == "GRS Återvinning"


async def test_a_fortnox_city_change_survives_an_upsales_street_edit_waiting(
    harness: SyncHarness,
) -> None:
    """The sales rep corrects the street (its hook held back), the bookkeeper changes the city;
    the Fortnox event is worked first: the address is left for the street's edit, whose own
    event then brings the city."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "7",
                "Name": "Ek AB",
                "Address1": "Storgatan 1",
                "ZipCode": "903 26",
                "City": "Umeå",
            }
        ],
    )
    await settle(harness)
    link = await link_of(harness, FortnoxType.CUSTOMER, "7")
    assert link is not None and link.synced_fields is not None
    company = harness.upsales_entity("accounts", link.upsales_id)
    assert company is not None
    addresses = [
        {**address, "address": "Storgatan 3"} if address["type"] == "Mail" else address
        for address in company["addresses"]
    ]
    edited = harness.upsales.update_entity(
        harness.demo.customer_id,
        "accounts",
        link.upsales_id,
        {"addresses": addresses},
        user_id=harness.demo.sales_rep_user_ids[0],
        fire_hooks=False,
    )
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(City="Luleå"))
    await harness.deliver_fortnox_events()
    await harness.run_jobs()
    await _hook(harness, dict(edited))

    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    company = harness.upsales_entity("accounts", link.upsales_id)
    assert customer is not None and company is not None
    assert (customer["Address1"], customer["City"]) == ("Storgatan 3", "Luleå")
    (mail,) = [address for address in company["addresses"] if address["type"] == "Mail"]
    assert (mail["address"], mail["city"]) == ("Storgatan 3", "Luleå")
