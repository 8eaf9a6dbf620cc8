"""Fortnox customers → Upsales companies: matching, mapping and the decision."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from upsales_fortnox.domain.identity import name_spellings, org_number_variants
from upsales_fortnox.domain.inbound.companies import (
    changed_beside_write,
    company_changes,
    customer_fingerprint,
    new_company,
)
from upsales_fortnox.domain.inbound.company_matching import (
    CompanyIndex,
    MatchedOn,
    MatchKind,
    match_company,
)
from upsales_fortnox.domain.inbound.decide_customer import (
    CREATED,
    LINKED,
    NOT_FOUND,
    UNCHANGED,
    UNLINKED,
    UPDATED,
    AmbiguousMatch,
    SentFor,
    decide_customer,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import AccountFieldIds, company_fields_from_upsales
from upsales_fortnox.domain.sync_commands import (
    CreateUpsalesCompany,
    RemoveLink,
    SaveLink,
    UpdateUpsalesCompany,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Address, Company, CompanyDraft, CustomValue
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

FIELD = 77
FIELDS = AccountFieldIds(customer_number=FIELD)


def customer(**fields: Any) -> Customer:
    base: dict[str, Any] = {"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}
    base.update(fields)
    return Customer.model_validate(base)


def company(company_id: int, name: str = "Something AB", **fields: Any) -> Company:
    return Company.model_validate({"id": company_id, "name": name, **fields})


def with_number(company_id: int, number: str, **fields: Any) -> Company:
    return company(company_id, custom=[{"fieldId": FIELD, "value": number}], **fields)


def link(upsales_id: int, fingerprint: str | None = "old") -> LinkView:
    return LinkView(LinkEntity.COMPANY, upsales_id, FortnoxType.CUSTOMER, "1001", fingerprint)


# --- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fortnox", "upsales"),
    [
        ("556677-8899", "5566778899"),
        ("5566778899", "556677-8899"),
        ("16556677-8899", "556677-8899"),
        ("165566778899", "5566778899"),
        ("556677-8899", "16 556677-8899"),
        (" 556677 8899 ", "556677-8899"),
        ("556677-8899", "SE556677889901"),
        ("5566778899", "se 5566778899 01"),
    ],
)
def test_org_number_matches_in_any_notation(fortnox: str, upsales: str) -> None:
    found = match_company(
        customer(OrganisationNumber=fortnox, Name="Other name"),
        [company(1, "Unrelated AB", orgNo="559999-0000"), company(2, "Nordisk", orgNo=upsales)],
    )
    assert found.kind is MatchKind.LINK
    assert found.company is not None and found.company.id == 2
    assert found.matched_on is MatchedOn.ORG_NUMBER


def test_no_candidate_means_create() -> None:
    found = match_company(customer(OrganisationNumber="556677-8899"), [company(1, "Else AB")])
    assert found.kind is MatchKind.CREATE and found.company is None


def test_exact_name_match_folds_case_and_spaces() -> None:
    found = match_company(
        customer(Name="nordisk  verkstad ab "), [company(3, "Nordisk Verkstad AB")]
    )
    assert found.kind is MatchKind.LINK and found.matched_on is MatchedOn.NAME
    assert found.company is not None and found.company.id == 3


def test_name_match_is_exact_not_a_substring() -> None:
    found = match_company(customer(Name="Nordisk"), [company(3, "Nordisk Verkstad AB")])
    assert found.kind is MatchKind.CREATE


def test_name_match_refused_when_org_numbers_differ() -> None:
    found = match_company(
        customer(OrganisationNumber="556677-8899"),
        [company(3, "Nordisk Verkstad AB", orgNo="559123-4567")],
    )
    assert found.kind is MatchKind.CREATE


def test_org_number_wins_over_name() -> None:
    found = match_company(
        customer(OrganisationNumber="5566778899"),
        [company(3, "Nordisk Verkstad AB"), company(4, "Renamed AB", orgNo="556677-8899")],
    )
    assert found.company is not None and found.company.id == 4


def test_customer_number_on_a_company_wins_over_everything() -> None:
    found = match_company(
        customer(OrganisationNumber="5566778899"),
        [company(4, "Renamed AB", orgNo="556677-8899"), with_number(9, "1001")],
        customer_number_field_id=FIELD,
    )
    assert found.company is not None and found.company.id == 9
    assert found.matched_on is MatchedOn.CUSTOMER_NUMBER


def test_two_org_number_candidates_are_ambiguous() -> None:
    found = match_company(
        customer(OrganisationNumber="556677-8899"),
        [company(5, "A", orgNo="556677-8899"), company(6, "B", orgNo="5566778899")],
    )
    assert found.kind is MatchKind.AMBIGUOUS
    assert [c.id for c in found.candidates] == [5, 6]


def test_the_name_tells_apart_companies_sharing_the_org_number() -> None:
    """Offices of one organisation share its number (a customer per office in Fortnox, a
    company per office in Upsales): the one of them with the customer's exact name is it."""
    offices = [
        company(5, "Bygg Norr AB Luleå", orgNo="556677-8899"),
        company(6, "Bygg Norr AB  Umeå", orgNo="5566778899"),
    ]
    found = match_company(
        customer(Name="bygg norr ab umeå", OrganisationNumber="556677-8899"), offices
    )
    assert found.kind is MatchKind.LINK and found.matched_on is MatchedOn.ORG_NUMBER
    assert found.company is not None and found.company.id == 6
    named_alike = [*offices, company(7, "BYGG NORR AB UMEÅ", orgNo="556677-8899")]
    ambiguous = match_company(
        customer(Name="Bygg Norr AB Umeå", OrganisationNumber="556677-8899"), named_alike
    )
    assert ambiguous.kind is MatchKind.AMBIGUOUS
    assert [c.id for c in ambiguous.candidates] == [5, 6, 7]


def test_an_office_without_its_own_company_takes_no_other_offices() -> None:
    """Three offices in Fortnox share the number, two have companies in Upsales. Stockholm's
    company is linked first; Göteborg, which has none, must not take Malmö's, the one left
    free: that is no match but a guess. Malmö then finds its own."""
    number = "556036-0793"
    index = CompanyIndex(
        [company(5, "Acme Stockholm", orgNo=number), company(6, "Acme Malmö", orgNo=number)],
        customer_number_field_id=FIELD,
    )
    stockholm = index.match(
        customer(CustomerNumber="1", Name="Acme Stockholm", OrganisationNumber=number)
    )
    assert stockholm.kind is MatchKind.LINK and stockholm.company is not None
    index.mark_linked(stockholm.company.id)
    goteborg = index.match(
        customer(CustomerNumber="2", Name="Acme Göteborg", OrganisationNumber=number)
    )
    assert goteborg.kind is MatchKind.AMBIGUOUS
    assert [c.id for c in goteborg.candidates] == [6]
    malmo = index.match(customer(CustomerNumber="3", Name="Acme Malmö", OrganisationNumber=number))
    assert malmo.kind is MatchKind.LINK and malmo.company is not None and malmo.company.id == 6


def test_two_name_candidates_are_ambiguous() -> None:
    found = match_company(
        customer(), [company(5, "Nordisk Verkstad AB"), company(6, "NORDISK VERKSTAD AB")]
    )
    assert found.kind is MatchKind.AMBIGUOUS and found.matched_on is MatchedOn.NAME


def test_companies_linked_elsewhere_are_no_candidates() -> None:
    offices = [company(5, "Acme A", orgNo="556677-8899"), company(6, "Acme B", orgNo="5566778899")]
    found = match_company(
        customer(Name="Acme B", OrganisationNumber="556677-8899"), offices, linked_company_ids={5}
    )
    assert found.company is not None and found.company.id == 6
    alone = match_company(
        customer(OrganisationNumber="556677-8899"), [offices[1]], linked_company_ids=set()
    )
    assert alone.company is not None and alone.company.id == 6  # the number's only company


def test_companies_identified_from_website_visits_are_no_candidates() -> None:
    """``isExternal`` 1: a company Upsales identified from a website visit, not one of the
    account's database (Postman collection, "Get company list"): neither linked nor making
    the match of the account's own company ambiguous."""
    visitor = company(5, "Nordisk Verkstad AB", orgNo="556677-8899", isExternal=1)
    own = company(6, "Nordisk Verkstad AB", orgNo="5566778899", isExternal=0)
    found = match_company(customer(OrganisationNumber="556677-8899"), [visitor, own])
    assert found.kind is MatchKind.LINK and found.company is not None and found.company.id == 6
    assert match_company(customer(), [visitor]).kind is MatchKind.CREATE


def test_index_marks_companies_linked_during_a_bulk_import() -> None:
    index = CompanyIndex([company(5, "Nordisk Verkstad AB")], customer_number_field_id=FIELD)
    first = index.match(customer())
    assert first.company is not None
    index.mark_linked(first.company.id)
    assert index.match(customer(CustomerNumber="1002")).kind is MatchKind.CREATE


def test_a_name_leaves_a_company_whose_org_number_another_customer_carries() -> None:
    """A customer without an organisation number does not take, by its name, the company whose
    number another Fortnox customer carries: that company is the other's, whichever comes
    first; one no customer claims is still taken by the name."""
    index = CompanyIndex(
        [company(5, "Acme AB", orgNo="556677-8899"), company(6, "Beta AB", orgNo="559111-2222")],
        customer_number_field_id=FIELD,
    )
    index.claimed.add("5566778899")
    assert index.match(customer(Name="Acme AB")).kind is MatchKind.CREATE
    found = index.match(customer(Name="Acme AB", OrganisationNumber="556677-8899"))
    assert found.company is not None and found.company.id == 5
    beta = index.match(customer(Name="Beta AB"))
    assert beta.company is not None and beta.company.id == 6


def test_org_number_variants() -> None:
    assert org_number_variants("556677-8899") == [
        "556677-8899",
        "5566778899",
        "556677 8899",
        "556677\u20138899",
        "16556677-8899",
        "165566778899",
        "SE556677889901",
        "SE 5566778899 01",
        "SE556677-889901",
        "SE 556677-8899 01",
    ]
    # a VAT number typed as the organisation number gives the same spellings
    assert org_number_variants("se 556677-8899 01") == org_number_variants("5566778899")
    assert org_number_variants("19800101-1234")[:8] == [
        "800101-1234",
        "8001011234",
        "800101 1234",
        "800101\u20131234",
        "19800101-1234",
        "198001011234",
        "20800101-1234",
        "208001011234",
    ]
    assert org_number_variants("GB123") == ["GB123"]
    assert org_number_variants(None) == []


def test_name_spellings() -> None:
    assert name_spellings(" Fja\u0308llbacka  Fisk AB") == [
        "Fjällbacka Fisk AB",
        "Fja\u0308llbacka Fisk AB",
        "Fja\u0308llbacka  Fisk AB",
        "Fjällbacka  Fisk AB",
        "Fjällbacka Fisk  AB",
    ]
    assert name_spellings("Acme") == ["Acme"]
    assert len(name_spellings(" ".join(["ord"] * 9))) == 1  # long names: as written only
    assert name_spellings("  ") == [] and name_spellings(None) == []


# --- mapping ----------------------------------------------------------------------------------


FULL = {
    "OrganisationNumber": "556677-8899",
    "Address1": "Box 220",
    "Address2": "Hamnen",
    "ZipCode": "401 23",
    "City": "Göteborg",
    "CountryCode": "SE",
    "Phone1": "031-123 45 60",
    "WWW": "https://nordiskverkstad.se",
    "Email": "info@nordiskverkstad.se",
    "VATNumber": "SE556677889901",
}


def test_new_company_maps_fields_and_writes_the_customer_number() -> None:
    fields = AccountFieldIds(customer_number=FIELD, vat_number=78)
    draft = new_company(customer(**FULL), fields)
    assert draft.to_wire() == {
        "name": "Nordisk Verkstad AB",
        "orgNo": "556677-8899",
        "phone": "031-123 45 60",
        "webpage": "https://nordiskverkstad.se",
        "addresses": [
            {
                "type": "Mail",
                "address": "Box 220, Hamnen",
                "zipcode": "401 23",
                "city": "Göteborg",
                "country": "SE",
            }
        ],
        "custom": [
            {"fieldId": FIELD, "value": "1001"},
            {"fieldId": 78, "value": "SE556677889901"},
        ],
    }


def test_new_company_without_the_custom_field_writes_no_custom_values() -> None:
    draft = new_company(customer(), AccountFieldIds(customer_number=None))
    assert draft.to_wire() == {"name": "Nordisk Verkstad AB"}


def test_changes_contain_only_what_differs_and_keep_other_addresses() -> None:
    visit = Address(type="Visit", address="Hamngatan 12", city="Göteborg")
    current = with_number(
        4,
        "1001",
        orgNo="556677-8899",
        phone="0",
        addresses=[visit.to_wire(), {"type": "Mail", "address": "Old street"}],
    )
    current.name = "Nordisk Verkstad AB"
    changes = company_changes(customer(**FULL), current, FIELDS)
    wire = changes.to_wire()
    assert set(wire) == {"phone", "webpage", "addresses"}
    assert wire["addresses"][0] == visit.to_wire()
    assert wire["addresses"][1]["address"] == "Box 220, Hamnen"


@pytest.mark.parametrize("invoice_type", ["Invoice", "Billing"])
def test_the_address_goes_where_the_company_keeps_its_invoice_address(invoice_type: str) -> None:
    """A company with an invoice address and a mail address: Fortnox's address replaces the
    invoice address, the one the Upsales → Fortnox sync reads, and the mail address is kept."""
    mail = {"type": "Mail", "address": "Postbox 1", "city": "Alingsås"}
    current = with_number(
        4, "1001", addresses=[mail, {"type": invoice_type, "address": "Old street"}]
    )
    wire = company_changes(customer(**FULL), current, FIELDS).to_wire()
    by_type = {address["type"]: address for address in wire["addresses"]}
    assert by_type["Mail"] == mail
    assert by_type[invoice_type]["address"] == "Box 220, Hamnen"
    assert set(by_type) == {"Mail", invoice_type}
    written = CompanyDraft.model_validate({"addresses": wire["addresses"]})
    read_back = company_fields_from_upsales(written, FIELDS)
    assert (read_back["address1"], read_back["city"]) == ("Box 220, Hamnen", FULL["City"])


def test_a_second_address_of_the_type_written_is_kept() -> None:
    """Two invoice addresses (a head office's and a branch's): Fortnox's address replaces the
    first, the one the Upsales → Fortnox sync reads; the branch's is kept."""
    branch = {"type": "Invoice", "address": "Branch street 2", "city": "Borås"}
    current = with_number(
        4, "1001", addresses=[{"type": "Invoice", "address": "Old street"}, branch]
    )
    wire = company_changes(customer(**FULL), current, FIELDS).to_wire()
    assert [address["address"] for address in wire["addresses"]] == [
        "Box 220, Hamnen",
        "Branch street 2",
    ]
    assert wire["addresses"][1] == branch


def test_cleared_fortnox_fields_are_cleared_in_upsales() -> None:
    current = with_number(4, "1001", phone="031-1", addresses=[{"type": "Mail", "city": "X"}])
    current.name = "Nordisk Verkstad AB"
    changes = company_changes(customer(), current, FIELDS)
    assert changes.to_wire() == {"phone": ""}  # an address Fortnox lacks is kept


def test_fill_only_keeps_upsales_values_and_writes_the_number() -> None:
    current = company(4, "Nordisk Verkstad i Göteborg AB", phone="031-1")
    changes = company_changes(customer(**FULL), current, FIELDS, fill_only=True)
    wire = changes.to_wire()
    assert "name" not in wire and "phone" not in wire
    assert wire["orgNo"] == "556677-8899"
    assert wire["custom"] == [{"fieldId": FIELD, "value": "1001"}]


def test_fingerprint_ignores_unsynced_fields_and_blank_differences() -> None:
    base = customer_fingerprint(customer(**FULL))
    assert customer_fingerprint(customer(**{**FULL, "Fax": "031-2"})) == base
    assert customer_fingerprint(customer(**{**FULL, "City": " Göteborg "})) == base
    assert customer_fingerprint(customer(**{**FULL, "City": "Borås"})) != base
    assert customer_fingerprint(customer(Phone1="")) == customer_fingerprint(customer())


def test_an_email_changed_in_fortnox_changes_the_fingerprint() -> None:
    """The e-mail syncs to the account field ``FORTNOX_EMAIL``: a change of it alone is no
    echo; a customer without one keeps the fingerprint it had before the e-mail synced."""
    base = customer_fingerprint(customer(**FULL))
    assert customer_fingerprint(customer(**{**FULL, "Email": "new@x.se"})) != base
    without = {name: value for name, value in FULL.items() if name != "Email"}
    assert customer_fingerprint(customer(**without, Email=" ")) == customer_fingerprint(
        customer(**without)
    )


# --- the decision -----------------------------------------------------------------------------


def decide(**kwargs: Any) -> Any:
    params: dict[str, Any] = {
        "link": None,
        "linked_company": None,
        "candidates": [],
        "linked_company_ids": set(),
        "field_ids": FIELDS,
    }
    params.update(kwargs)
    number = params.pop("number", "1001")
    fortnox = params.pop("customer")
    return decide_customer(number, fortnox, **params)


def test_unknown_customer_is_created_with_its_link() -> None:
    decision = decide(customer=customer(**FULL))
    assert decision.outcome == CREATED
    (command,) = decision.commands
    assert isinstance(command, CreateUpsalesCompany)
    assert command.company.name == "Nordisk Verkstad AB"
    assert command.link.fortnox_id == "1001"
    assert command.link.fingerprint == customer_fingerprint(customer(**FULL))


def test_matching_company_is_linked_and_numbered() -> None:
    match = company(8, "Nordisk AB", orgNo="5566778899")
    decision = decide(customer=customer(**FULL), candidates=[match])
    assert decision.outcome == LINKED and decision.company_id == 8
    update, save = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and update.company_id == 8
    assert update.changes.custom == [CustomValue(fieldId=FIELD, value="1001")]
    assert save == SaveLink(
        LinkEntity.COMPANY,
        8,
        FortnoxType.CUSTOMER,
        "1001",
        customer_fingerprint(customer(**FULL)),
        synced_fields=save.synced_fields,
    )
    # the base is the company as written (its own name, the empty fields filled from the
    # customer): its echo, or its next edit, sends nothing of it to Fortnox as an Upsales edit
    assert save.synced_fields is not None
    assert save.synced_fields["name"] == "Nordisk AB"
    assert save.synced_fields["phone"] == FULL["Phone1"]


def test_ambiguous_candidates_raise_naming_them() -> None:
    with pytest.raises(AmbiguousMatch) as raised:
        decide(
            customer=customer(**FULL),
            candidates=[
                company(8, "Nordisk AB", orgNo=FULL["OrganisationNumber"]),
                company(9, "Nordisk Göteborg", orgNo="5566778899"),
            ],
        )
    assert raised.value.code == "ambiguous_match"
    assert raised.value.candidate_ids == [8, 9]
    assert "8 (Nordisk AB)" in raised.value.message and "9 (Nordisk Göteborg)" in str(raised.value)


def test_echo_of_own_write_is_a_no_op() -> None:
    fortnox = customer(**FULL)
    decision = decide(
        customer=fortnox,
        link=link(4, customer_fingerprint(fortnox)),
        linked_company=company(4, "Whatever"),
    )
    assert decision.outcome == UNCHANGED and decision.commands == []
    assert decision.company_id == 4


def test_changed_linked_customer_updates_the_company() -> None:
    fortnox = customer(**FULL)
    decision = decide(customer=fortnox, link=link(4), linked_company=with_number(4, "1001"))
    assert decision.outcome == UPDATED
    update, save = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and update.changes.orgNo == "556677-8899"
    assert isinstance(save, SaveLink) and save.fingerprint == customer_fingerprint(fortnox)


def test_linked_company_deleted_in_upsales_is_matched_again() -> None:
    decision = decide(customer=customer(), link=link(4), linked_company=None)
    assert decision.outcome == CREATED
    assert decision.commands[0] == RemoveLink(FortnoxType.CUSTOMER, "1001")
    assert isinstance(decision.commands[1], CreateUpsalesCompany)


def test_deleted_customer_removes_link_and_number_never_the_company() -> None:
    linked = with_number(4, "1001")
    decision = decide(customer=None, link=link(4), linked_company=linked)
    assert decision.outcome == UNLINKED
    assert decision.commands == [
        RemoveLink(FortnoxType.CUSTOMER, "1001"),
        UpdateUpsalesCompany(4, company_changes_clear()),
    ]


def company_changes_clear() -> CompanyDraft:
    return CompanyDraft(custom=[CustomValue(fieldId=FIELD, value="")])


def test_deleted_customer_clears_an_unlinked_company_carrying_its_number() -> None:
    decision = decide(
        customer=None, candidates=[with_number(5, "1001"), with_number(6, "1002"), company(7)]
    )
    assert decision.commands == [UpdateUpsalesCompany(5, company_changes_clear())]


def test_deleted_unknown_customer_does_nothing() -> None:
    decision = decide(customer=None)
    assert decision.outcome == NOT_FOUND and decision.commands == []


def test_a_customer_a_won_deal_created_is_linked_to_that_company() -> None:
    """Even when the company changed since (renamed): its sent fields are the base, and its
    sync is queued with the link so the change reaches the customer."""
    renamed = company(8, "Nordisk Verkstad Väst AB")
    sent = {"name": "Nordisk Verkstad AB", "organisation_number": None}
    decision = decide(customer=customer(), sent_for=SentFor(renamed, sent))
    assert decision.outcome == LINKED and decision.company_id == 8
    save = decision.commands[-1]
    assert isinstance(save, SaveLink) and save.upsales_id == 8
    assert save.synced_fields == sent and save.sync_upsales_company


def test_a_company_a_deal_created_for_but_linked_elsewhere_is_not_taken() -> None:
    renamed = company(8, "Nordisk Verkstad Väst AB")
    sent = {"name": "Nordisk Verkstad AB", "organisation_number": None}
    decision = decide(customer=customer(), sent_for=SentFor(renamed, sent), linked_company_ids={8})
    assert decision.outcome == CREATED


def test_a_fortnox_change_left_for_a_waiting_upsales_edit_comes_with_that_edits_event() -> None:
    """A street corrected in Upsales waits to be sent while Fortnox gives the customer a visiting
    address: the addresses are left as they are and the link keeps its fingerprint, so the
    event of the street's write to Fortnox is no echo and brings the visiting address."""
    before = customer(Name="Ek AB", Address1="Storgatan 1", ZipCode="903 26", City="Umeå")
    with_visit = {"VisitingAddress": "Kungsgatan 9", "VisitingCity": "Umeå"}
    after = before.model_copy(update=with_visit)
    base = {
        "name": "Ek AB",
        "organisation_number": None,
        "address1": "Storgatan 1",
        "zip_code": "903 26",
        "city": "Umeå",
        "country_code": None,
        "phone": None,
    }
    street = Address(type="Mail", address="Storgatan 3", zipcode="903 26", city="Umeå")
    edited = company(3, "Ek AB", addresses=[street])
    link = LinkView(
        LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "1001", customer_fingerprint(before), base
    )
    kwargs: dict[str, Any] = {"link": link, "linked_company": edited, "field_ids": FIELDS}

    waiting = decide(customer=after, **kwargs)

    save = waiting.commands[-1]
    assert isinstance(save, SaveLink) and save.fingerprint == link.fingerprint
    assert save.synced_fields is not None and save.synced_fields["address1"] == "Storgatan 1"
    assert not any(
        isinstance(c, UpdateUpsalesCompany) and c.changes.addresses for c in waiting.commands
    )

    sent = after.model_copy(update={"Address1": "Storgatan 3"})  # the street reached Fortnox
    synced = replace(link, synced_fields={**base, "address1": "Storgatan 3"})
    brought = decide(customer=sent, **{**kwargs, "link": synced})

    (update, save) = brought.commands
    assert isinstance(update, UpdateUpsalesCompany) and update.changes.addresses is not None
    visits = [(a.address, a.city) for a in update.changes.addresses if a.type == "Visit"]
    assert visits == [("Kungsgatan 9", "Umeå")]
    assert isinstance(save, SaveLink) and save.fingerprint == customer_fingerprint(sent)


CUT_AT_A_SPACE = (
    "Göteborgs Regionala Samordningsförbund för Återvinning och Miljöteknik i Västra "
    "Götaland Ekonomiska Förening"
)


def test_a_long_name_cut_at_a_space_is_the_name_the_company_holds() -> None:
    """Upsales trims what it is given: the company holds the cut without its trailing space,
    and the customer's name is that same name (no rewrite on each Fortnox change)."""
    assert CUT_AT_A_SPACE[99] == " "
    fortnox = customer(Name=CUT_AT_A_SPACE, Phone1="08-2")
    holding = company(1, CUT_AT_A_SPACE[:100].strip(), phone="08-1")

    changes = company_changes(fortnox, holding, FIELDS)

    assert changes.model_dump(exclude_unset=True, exclude={"custom"}) == {"phone": "08-2"}


def test_a_company_holding_a_long_name_as_upsales_cut_it_matches_by_name() -> None:
    """A company made of the customer holds its name cut to Upsales' length: found by that
    name (an import resumed in an account without the customer number field), not made twice."""
    found = match_company(customer(Name=CUT_AT_A_SPACE), [company(7, CUT_AT_A_SPACE[:100].strip())])
    assert found.kind is MatchKind.LINK and found.matched_on is MatchedOn.NAME
    assert found.company is not None and found.company.id == 7


def test_a_shorter_name_is_no_match_for_a_long_one() -> None:
    found = match_company(customer(Name=CUT_AT_A_SPACE), [company(7, CUT_AT_A_SPACE[:60])])
    assert found.kind is MatchKind.CREATE


def test_an_inactive_customer_not_linked_is_neither_created_nor_linked() -> None:
    inactive = customer(Active=False, OrganisationNumber="556677-8899")
    decision = decide_customer(
        "1001",
        inactive,
        link=None,
        linked_company=None,
        candidates=[company(5, orgNo="5566778899")],
        linked_company_ids=[],
        field_ids=FIELDS,
    )
    assert (decision.outcome, decision.commands, decision.company_id) == (
        "customer_inactive",
        [],
        None,
    )
    linked = decide_customer(
        "1001",
        customer(Active=False, Name="Nytt Namn AB"),
        link=link(5),
        linked_company=company(5, "Nordisk Verkstad AB"),
        candidates=[],
        linked_company_ids=[],
        field_ids=FIELDS,
    )
    assert linked.outcome == UPDATED and linked.company_id == 5


def test_a_customer_without_a_name_makes_a_company_named_in_swedish() -> None:
    """Fortnox requires a name; should one come without, the company a sales rep reads is
    named from the catalogue, in Swedish."""
    assert new_company(customer(Name="  "), FIELDS).name == "Fortnox-kund 1001"


def test_a_customer_without_a_name_leaves_its_companys_name_as_it_is() -> None:
    """A company an earlier version named in English keeps that name: renamed, its Upsales
    event would read as a user's edit and be written to the customer in Fortnox."""
    changes = company_changes(customer(Name=None), company(1, "Fortnox customer 1001"), FIELDS)
    assert "name" not in changes.model_dump(exclude_unset=True)


def test_only_a_delivery_address_changes_a_customers_fingerprint() -> None:
    """A customer without a delivery address keeps the fingerprint its link was saved with
    before delivery addresses synced; one with a delivery address differs by it."""
    plain = Customer(CustomerNumber="1", Name="Ek AB")
    blank = Customer.model_validate({**plain.model_dump(), "DeliveryAddress1": " "})
    with_delivery = Customer.model_validate({**plain.model_dump(), "DeliveryCity": "Umeå"})
    assert customer_fingerprint(blank) == customer_fingerprint(plain)
    assert customer_fingerprint(with_delivery) != customer_fingerprint(plain)


def test_a_delivery_address_added_or_cleared_beside_our_write_is_a_change() -> None:
    """The delivery fields are there only while the customer has a delivery address: one added
    or cleared in Fortnox between our read and our write is someone's change, not our echo."""
    written = Customer(Name="Nordisk Verkstad AB")
    without = customer()
    with_delivery = customer(DeliveryAddress1="Lagergatan 3", DeliveryCity="Borås")
    assert changed_beside_write(without, written, with_delivery)
    assert changed_beside_write(with_delivery, written, without)
    assert not changed_beside_write(with_delivery, written, with_delivery)
    assert not changed_beside_write(without, written, customer(Name="Nytt Namn AB"))
