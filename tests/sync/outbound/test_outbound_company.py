"""Company fields from both sides, the three-way merge and what Fortnox would refuse."""

from __future__ import annotations

import pytest

from tests.sync.outbound.outbound_builders import company
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    canonical_country_code,
    canonical_org_number,
    company_fields_from_fortnox,
    company_fields_from_upsales,
    customer_changes,
    new_customer,
    vat_type,
)
from upsales_fortnox.domain.outbound.merge import (
    base_after_upsales_write,
    three_way_merge,
    waiting_for_fortnox,
)
from upsales_fortnox.domain.outbound.validation import company_problems
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer

IDS = AccountFieldIds(customer_number=1, email=2, vat_number=3)
ADDRESSES = [
    {
        "type": "Visit",
        "address": "Hamngatan 12",
        "zipcode": "411 14",
        "city": "Göteborg",
        "country": "SE",
    },
    {
        "type": "Mail",
        "address": "Box 220",
        "zipcode": "401 23",
        "city": "Göteborg",
        "country": "Sverige",
    },
]
DELIVERY = {
    "type": "Delivery",
    "address": "Lager 9, Port 3",
    "zipcode": "417 05",
    "city": "Göteborg",
}


def test_upsales_company_fields() -> None:
    fields = company_fields_from_upsales(
        company(
            orgNo="5566778899",
            phone=" 031-123 45 60 ",
            addresses=ADDRESSES,
            custom=[
                {"fieldId": 2, "value": "faktura@nv.se"},
                {"fieldId": 3, "value": "SE556677889901"},
            ],
        ),
        IDS,
    )
    assert fields == {
        "name": "Nordisk Verkstad AB",
        "organisation_number": "556677-8899",
        "address1": "Box 220",
        "zip_code": "401 23",
        "city": "Göteborg",
        "country_code": "SE",
        "phone": "031-123 45 60",
        "www": None,
        "email": "faktura@nv.se",
        "vat_number": "SE556677889901",
        "visit_address": "Hamngatan 12",
        "visit_zip_code": "411 14",
        "visit_city": "Göteborg",
        "visit_country_code": "SE",
    }


def test_fields_without_custom_fields_are_not_synced() -> None:
    fields = company_fields_from_upsales(company(addresses=ADDRESSES[:1]), AccountFieldIds())
    assert "email" not in fields and "vat_number" not in fields
    assert fields["address1"] == "Hamngatan 12"
    assert company_fields_from_upsales(company(), AccountFieldIds())["address1"] is None


def test_fortnox_customer_fields_compare_equal_to_the_same_upsales_data() -> None:
    customer = Customer(
        CustomerNumber="1001",
        Name="Nordisk Verkstad AB",
        OrganisationNumber="16556677-8899",
        Address1="Box 220",
        ZipCode="401 23",
        City="Göteborg",
        CountryCode="SE",
        Phone1="031-123 45 60",
        Email="faktura@nv.se",
        VATNumber="SE556677889901",
        VisitingAddress="Hamngatan 12",
        VisitingZipCode="411 14",
        VisitingCity="Göteborg",
        VisitingCountryCode="SE",
        DeliveryAddress1="Lager 9",
        DeliveryAddress2="Port 3",
        DeliveryZipCode="417 05",
        DeliveryCity="Göteborg",
    )
    upsales = company(
        orgNo="556677-8899",
        phone="031-123 45 60",
        addresses=[*ADDRESSES, DELIVERY],
        custom=[
            {"fieldId": 2, "value": "faktura@nv.se"},
            {"fieldId": 3, "value": "SE556677889901"},
        ],
    )
    assert company_fields_from_fortnox(customer) == company_fields_from_upsales(upsales, IDS)


def test_canonical_values() -> None:
    assert canonical_org_number("195501011234") == "550101-1234"
    assert canonical_org_number("NO 123") == "NO 123"
    assert canonical_org_number("  ") is None
    assert canonical_country_code("se") == "SE"
    assert canonical_country_code("Sweden") == "SE"
    assert canonical_country_code("Atlantis") == "Atlantis"


def test_customer_wire_models() -> None:
    assert new_customer({"name": "A", "phone": None, "city": "Lund"}).to_wire() == {
        "Name": "A",
        "City": "Lund",
        "Type": "COMPANY",
    }
    assert customer_changes({"phone": None, "city": "Lund"}).to_wire() == {
        "Phone1": API_BLANK,
        "City": "Lund",
    }
    # a country code is exactly two letters in Fortnox: one emptied in Upsales is left alone
    assert customer_changes({"country_code": None, "city": "Lund"}).to_wire() == {"City": "Lund"}
    assert customer_changes({"country_code": "NO"}).to_wire() == {"CountryCode": "NO"}


@pytest.mark.parametrize(
    ("country", "vat_number", "expected"),
    [
        ("SE", "SE556677889901", "SEVAT"),
        ("SE", None, "SEVAT"),
        ("DE", "DE123456789", "EUREVERSEDVAT"),
        ("GR", "EL123456789", "EUREVERSEDVAT"),
        ("FI", None, "EUVAT"),
        ("NO", "NO923456789MVA", "EXPORT"),
        ("GB", None, "EXPORT"),
        (None, "DE123456789", None),
    ],
)
def test_a_new_customers_vat_type_follows_country_and_vat_number(
    country: str | None, vat_number: str | None, expected: str | None
) -> None:
    fields = {"name": "A", "country_code": country, "vat_number": vat_number}
    assert vat_type(fields) == expected
    assert new_customer(fields).to_wire().get("VATType") == expected
    # never a company field: an update never sends it
    assert "VATType" not in customer_changes(fields).to_wire()


def test_merge_rules() -> None:
    base = {"name": "A", "phone": "1", "city": "X", "zip_code": "1"}
    upsales = {"name": "A2", "phone": "1", "city": "Y", "zip_code": "2"}
    fortnox = {"name": "A", "phone": "9", "city": "Z", "zip_code": "2"}
    plan = three_way_merge(base, upsales, fortnox)
    assert plan.to_fortnox == {"name": "A2"}  # only Upsales changed it
    assert plan.to_upsales == {"phone": "9", "city": "Z"}  # Fortnox changed; Fortnox wins city
    assert plan.conflicts == ("city",)
    assert plan.synced == {"name": "A2", "phone": "1", "city": "X", "zip_code": "2"}


def test_merge_without_base() -> None:
    plan = three_way_merge(None, {"name": "A", "city": "Y"}, {"name": "A", "city": "Z"})
    assert plan.to_fortnox == {"city": "Y"} and plan.synced == {"name": "A", "city": "Y"}
    plan = three_way_merge({}, {"city": "Y"}, {"city": "Z"}, without_base="fortnox")
    assert plan.to_upsales == {"city": "Z"} and plan.to_fortnox == {} and plan.synced == {}


def test_without_base_an_empty_value_never_wins() -> None:
    plan = three_way_merge(None, {"email": None, "city": "Y"}, {"email": "a@b.se", "city": None})
    assert plan.to_fortnox == {"city": "Y"}
    assert plan.to_upsales == {"email": "a@b.se"}
    plan = three_way_merge(None, {"city": "Y"}, {"city": None}, without_base="fortnox")
    assert plan.to_fortnox == {"city": "Y"}


def test_fields_changed_in_upsales_only_wait_for_fortnox() -> None:
    base = {"name": "A", "phone": "1", "city": "X", "email": "a@b.se"}
    upsales = {"name": "B", "phone": "1", "city": "Y", "email": "c@d.se"}
    fortnox = {"name": "A", "phone": "2", "city": "Z", "email": "c@d.se"}
    # name: Upsales only; phone: Fortnox only; city: both (Fortnox wins); email: equal
    assert waiting_for_fortnox(base, upsales, fortnox) == {"name"}
    assert waiting_for_fortnox(None, upsales, fortnox) == frozenset()


def test_the_base_after_a_write_to_upsales_keeps_what_still_differs() -> None:
    written = {"name": "B", "phone": "2", "city": "Z"}
    fortnox = {"name": "A", "phone": "2", "city": "Z"}
    # the name waits for Fortnox: its base stays, so the merge still sends it
    assert base_after_upsales_write({"name": "A", "phone": "1"}, written, fortnox) == {
        "name": "A",
        "phone": "2",
        "city": "Z",
    }
    # without a base, the company as written is the base: a difference is Fortnox's
    assert base_after_upsales_write(None, written, fortnox) == written
    plan = three_way_merge(written, written, fortnox)
    assert plan.to_fortnox == {} and plan.to_upsales == {"name": "A"}


def test_street_is_address1_and_address2_joined() -> None:
    customer = Customer(Name="A", Address1="Box 220", Address2="Plan 3")
    assert company_fields_from_fortnox(customer)["address1"] == "Box 220, Plan 3"
    upsales = company(addresses=[{"type": "Mail", "address": "Box 220, Plan 3"}])
    assert company_fields_from_upsales(upsales, IDS)["address1"] == "Box 220, Plan 3"
    assert customer_changes({"address1": "Storgatan 1"}).to_wire() == {
        "Address1": "Storgatan 1",
        "Address2": API_BLANK,
    }


def test_company_problems() -> None:
    good = {"name": "A", "organisation_number": "556677-8899", "zip_code": "411 14"}
    assert company_problems(good) == []
    problems = company_problems(
        {
            "name": None,
            "organisation_number": "12-34",
            "zip_code": "12345678901",
            "email": "not-an-address",
            "country_code": "Atlantis",
        }
    )
    assert problems == [
        "the company has no name",
        "the organisation number '12-34' is not a Swedish organisation number (NNNNNN-NNNN), "
        "which a company in Sweden needs; give the address's country if the company is abroad",
        "the e-mail address 'not-an-address' is not valid",
        "the country 'Atlantis' is not a two-letter country code",
        "the company's ZipCode is 11 characters long; Fortnox allows 10",
    ]
