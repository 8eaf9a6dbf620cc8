"""A customer as a bookkeeper fills it in Fortnox (a customer number with letters, a foreign
country, a VAT number, several e-mails and phones, a delivery address), and customers that share
a name: what the sales rep sees in Upsales, with nothing written back to Fortnox."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    companies_named,
    custom_value,
    dead_jobs,
    fortnox_call,
    jobs_of,
    link_of,
    settle,
)
from upsales_fortnox.domain.inbound.addresses import DELIVERY_FIELDS
from upsales_fortnox.vocabulary import FortnoxType

FJORDFISK: dict[str, Any] = {
    "CustomerNumber": "K-100A",
    "Name": "Fjordfisk AS",
    "OrganisationNumber": "987654321",
    "Address1": "Bryggen 1",
    "ZipCode": "5003",
    "City": "Bergen",
    "CountryCode": "NO",
    "DeliveryAddress1": "Lager 9",
    "DeliveryAddress2": "Port 3",
    "DeliveryZipCode": "5004",
    "DeliveryCity": "Bergen",
    "DeliveryCountryCode": "NO",
    "Email": "post@fjordfisk.no",
    "EmailInvoice": "faktura@fjordfisk.no",
    "Phone1": "+47 55 00 00 00",
    "Phone2": "+47 99 99 99 99",
    "VATNumber": "NO987654321MVA",
}


def fortnox_writes(harness: SyncHarness) -> dict[str, int]:
    return {
        k: v for k, v in harness.services.fortnox_calls.items() if v and not k.startswith("GET")
    }


def addresses_by_type(company: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {address["type"]: address for address in company["addresses"]}


async def _fjordfisk_in_upsales(harness: SyncHarness) -> tuple[dict[str, Any], int]:
    """The company the sync made of the customer the bookkeeper added, and the id of the VAT
    number field, with Upsales' hooks delivered (so an echo would reach Fortnox)."""
    (vat_field,) = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [{"name": "Momsregistreringsnummer", "alias": "FORTNOX_VAT_NUMBER", "datatype": "String"}],
    )
    harness.connect_upsales_hooks()
    await settle(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[FJORDFISK])
    await settle(harness)
    (company,) = companies_named(harness, "Fjordfisk AS")
    return company, vat_field


async def test_a_foreign_customer_with_a_delivery_address_shows_it_all_in_upsales(
    harness: SyncHarness,
) -> None:
    before = fortnox_writes(harness)

    company, vat_field = await _fjordfisk_in_upsales(harness)

    assert custom_value(company, harness.demo.account_fortnox_customer_number_field_id) == "K-100A"
    assert custom_value(company, vat_field) == "NO987654321MVA"
    assert company["orgNo"] == "987654321" and company["phone"] == "+47 55 00 00 00"
    addresses = addresses_by_type(company)
    assert addresses["Mail"]["address"] == "Bryggen 1"
    assert addresses["Mail"]["country"] == "NO"
    delivery = addresses["Delivery"]
    assert (delivery["address"], delivery["zipcode"], delivery["city"], delivery["country"]) == (
        "Lager 9, Port 3",
        "5004",
        "Bergen",
        "NO",
    )
    assert await dead_jobs(harness) == []
    assert fortnox_writes(harness) == before  # the company's write is no change to send back
    customer = harness.fortnox_entity("customers", "K-100A")
    assert customer is not None and customer["Phone2"] == "+47 99 99 99 99"


async def test_a_delivery_address_moved_or_cleared_in_fortnox_follows_in_upsales(
    harness: SyncHarness,
) -> None:
    company, _ = await _fjordfisk_in_upsales(harness)
    before = fortnox_writes(harness)

    moving = {"Customer": {"DeliveryAddress1": "Nya lagret 2"}}
    await fortnox_call(harness, "PUT", "/customers/K-100A", moving)
    await settle(harness)

    moved = harness.upsales_entity("accounts", company["id"])
    assert moved is not None
    assert addresses_by_type(moved)["Delivery"]["address"] == "Nya lagret 2, Port 3"
    assert addresses_by_type(moved)["Mail"]["address"] == "Bryggen 1"

    # Fortnox takes no blank country code: the bookkeeper clears the rest
    cleared = {name: "" for name in DELIVERY_FIELDS if name != "DeliveryCountryCode"}
    await fortnox_call(harness, "PUT", "/customers/K-100A", {"Customer": cleared})
    await settle(harness)

    after = harness.upsales_entity("accounts", company["id"])
    assert after is not None
    delivery = addresses_by_type(after)["Delivery"]
    assert (delivery["address"], delivery["zipcode"], delivery["city"]) == (None, None, None)
    assert addresses_by_type(after)["Mail"]["address"] == "Bryggen 1"
    assert fortnox_writes(harness) == before


async def test_two_fortnox_customers_of_one_name_become_two_companies(
    harness: SyncHarness,
) -> None:
    harness.connect_upsales_hooks()
    await settle(harness)
    accounts_before = len(harness.upsales_entities("accounts"))
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "501", "Name": "Svensson Bygg AB", "City": "Umeå"},
            {"CustomerNumber": "502", "Name": "Svensson Bygg AB", "City": "Luleå"},
        ],
    )

    await settle(harness)

    assert await dead_jobs(harness) == []
    twins = companies_named(harness, "Svensson Bygg AB")
    assert len(harness.upsales_entities("accounts")) == accounts_before + 2
    field_id = harness.demo.account_fortnox_customer_number_field_id
    by_number = {custom_value(c, field_id): c for c in twins}
    assert by_number["501"]["addresses"][0]["city"] == "Umeå"
    assert by_number["502"]["addresses"][0]["city"] == "Luleå"
    for number in ("501", "502"):
        link = await link_of(harness, FortnoxType.CUSTOMER, number)
        assert link is not None and link.upsales_id == by_number[number]["id"]
        assert (await jobs_of(harness, "fortnox.customer", number))[-1].result is not None
