"""A company abroad with its own country's organisation number: not refused, never sent to
Fortnox, never cleared by Fortnox; in Sweden (or of no known country) the number is still
checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sync.outbound.outbound_builders import company
from upsales_fortnox.domain.identity import has_swedish_check_digit
from upsales_fortnox.domain.inbound.companies import company_changes
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    company_fields_from_upsales,
    new_customer,
    org_number_synced,
)
from upsales_fortnox.domain.outbound.decide import (
    company_gate,
    customer_search,
    decide_company_update,
    decide_customer,
)
from upsales_fortnox.domain.outbound.validation import CompanyRefused, company_problems
from upsales_fortnox.domain.sync_commands import CreateFortnoxCustomer, LinkFortnoxCustomer
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

IDS = AccountFieldIds(customer_number=1, vat_number=3)
NORWEGIAN = "923 609 016"


def _company(country: str | None, org_no: str = NORWEGIAN, **fields: Any) -> Any:
    address = {"type": "Mail", "address": "Karl Johans gate 1", "city": "Oslo"}
    addresses = [{**address, "country": country}] if country else []
    return company(orgNo=org_no, addresses=addresses, **fields)


@pytest.mark.parametrize(
    ("country", "refused"),
    [("NO", False), ("DK", False), ("DE", False), ("SE", True), (None, True)],
)
def test_a_foreign_org_number_is_refused_only_in_sweden_or_of_no_known_country(
    country: str | None, refused: bool
) -> None:
    fields = {"name": "A", "organisation_number": NORWEGIAN, "country_code": country}
    problems = company_problems(fields)
    assert bool(problems) is refused
    if refused:
        assert problems[0].startswith("the organisation number '923 609 016' is not a Swedish")
    # the fields an Upsales company makes are refused alike
    assert bool(company_problems(company_fields_from_upsales(_company(country), IDS))) is refused


@pytest.mark.parametrize(
    ("org_number", "country", "synced"),
    [
        (NORWEGIAN, "NO", False),
        ("12345678", "DK", False),
        ("0123.456.789", "BE", False),  # Swedish-shaped, no Swedish check digit
        ("556036-0793", "NO", True),  # a Swedish organisation abroad
        (None, "NO", True),
        (NORWEGIAN, "SE", True),  # refused instead
        (NORWEGIAN, None, True),
    ],
)
def test_which_org_numbers_are_company_fields(
    org_number: str | None, country: str | None, synced: bool
) -> None:
    assert org_number_synced(org_number, country) is synced


def test_swedish_check_digit() -> None:
    assert has_swedish_check_digit("5560360793")
    assert not has_swedish_check_digit("5560360794")
    assert not has_swedish_check_digit("556036079")


def test_a_new_customer_abroad_gets_no_org_number_but_its_vat_number() -> None:
    upsales = _company("NO", custom=[{"fieldId": 3, "value": "NO923609016MVA"}])
    fields = company_fields_from_upsales(upsales, IDS)
    assert "organisation_number" not in fields
    decision = decide_customer(3, fields, [])
    assert isinstance(decision, CreateFortnoxCustomer)
    wire = decision.customer.to_wire()
    assert "OrganisationNumber" not in wire
    assert (wire["CountryCode"], wire["VATNumber"], wire["VATType"]) == (
        "NO",
        "NO923609016MVA",
        "EXPORT",
    )
    swedish = company_fields_from_upsales(_company("SE", "5560360793"), IDS)
    assert new_customer(swedish).to_wire()["OrganisationNumber"] == "556036-0793"
    with pytest.raises(CompanyRefused):
        decide_customer(3, company_fields_from_upsales(_company("SE"), IDS), [])


def test_a_company_abroad_is_found_by_name_among_customers_without_a_number() -> None:
    fields = company_fields_from_upsales(_company("NO"), IDS)
    assert customer_search(fields) == {"name": "Nordisk Verkstad AB"}
    mine = Customer(CustomerNumber="7", Name="Nordisk Verkstad AB", CountryCode="NO")
    other = Customer(CustomerNumber="5", Name=mine.Name, OrganisationNumber="5560360793")
    decision = decide_customer(3, fields, [other, mine])
    assert isinstance(decision, LinkFortnoxCustomer) and decision.customer_number == "7"


def test_a_company_abroad_links_the_customer_of_its_name_that_holds_its_own_number() -> None:
    """The bookkeeper made the customer in Fortnox with the Norwegian number (should Fortnox
    take it): the deal links that customer rather than make a second one of the company; one
    of the same name with a Swedish number is another company."""
    fields = company_fields_from_upsales(_company("NO"), IDS)
    own = Customer(CustomerNumber="7", Name="Nordisk Verkstad AB", OrganisationNumber=NORWEGIAN)
    swedish = Customer(CustomerNumber="5", Name=own.Name, OrganisationNumber="5560360793")
    decision = decide_customer(3, fields, [swedish, own])
    assert isinstance(decision, LinkFortnoxCustomer) and decision.customer_number == "7"
    in_sweden = company_fields_from_upsales(_company("SE", "5560360793", name=own.Name), IDS)
    assert isinstance(decide_customer(3, in_sweden, [own]), CreateFortnoxCustomer)


def _link(synced: dict[str, Any]) -> LinkView:
    return LinkView(
        entity=LinkEntity.COMPANY,
        upsales_id=3,
        fortnox_type=FortnoxType.CUSTOMER,
        fortnox_id="7",
        fingerprint="f",
        synced_fields=synced,
    )


def test_edits_and_echoes_leave_the_number_where_it_is() -> None:
    upsales = _company("NO")
    fields = company_fields_from_upsales(upsales, IDS)
    customer = Customer(
        CustomerNumber="7",
        Name="Nordisk Verkstad AB",
        Address1="Karl Johans gate 1",
        City="Oslo",
        CountryCode="NO",
    )
    link = _link(dict(fields))
    # the company unchanged: its fields are the link's, no call to Fortnox
    assert company_gate(link, company_fields_from_upsales(upsales, IDS)) is not None
    # an edit sends what changed, never the number
    edited = _company("NO", phone="+47 22 00 00 00")
    decision = decide_company_update(3, link, company_fields_from_upsales(edited, IDS), customer)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "+47 22 00 00 00"}
    assert "organisation_number" not in decision.synced_fields
    # the customer's lack of a number (or one of its own) is no change to the company's
    for fortnox in (customer, customer.model_copy(update={"OrganisationNumber": "5560360793"})):
        assert "orgNo" not in company_changes(fortnox, upsales, IDS).model_fields_set
    # in Sweden the number is a company field again: the customer's clears it
    swedish = _company("SE", "5560360793")
    assert company_changes(customer, swedish, IDS).orgNo == ""
