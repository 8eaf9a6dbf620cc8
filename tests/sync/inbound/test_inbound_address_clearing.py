"""A customer's whole address cleared in Fortnox: cleared in the company where the company's
address came from (or agreed with) the customer, kept where the CRM's address was its own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from upsales_fortnox.domain.inbound.addresses import (
    FORTNOX_ADDRESS_TYPES,
    merge_addresses,
    types_holding,
)
from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.inbound.decide_customer import decide_customer
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import AccountFieldIds, company_fields_from_upsales
from upsales_fortnox.domain.outbound.decide import company_gate, decide_company_update
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateUpsalesCompany,
    SaveLink,
    UpdateUpsalesCompany,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Address, Company
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

FIELDS = AccountFieldIds()
POSTAL = {"Address1": "Sveavägen 21", "ZipCode": "111 34", "City": "Stockholm"}
VISITING = {"VisitingAddress": "Kungsgatan 1", "VisitingCity": "Stockholm"}
MAIL = Address(
    type="Mail",
    address="Sveavägen 21",
    zipcode="111 34",
    city="Stockholm",
    state="Stockholms län",
    latitude=59.3372,
    longitude=18.0597,
)
CLEARED = (None, None, None, None)


def customer(**fields: Any) -> Customer:
    return Customer.model_validate({"CustomerNumber": "7", "Name": "Ek AB", **fields})


def company(*addresses: Address, **fields: Any) -> Company:
    return Company.model_validate({"id": 3, "name": "Ek AB", "addresses": addresses, **fields})


def synced(address: Address) -> tuple[str | None, ...]:
    return (address.address, address.zipcode, address.city, address.country)


def only(commands: list[Command], kind: type[Any]) -> Any:
    (found,) = [command for command in commands if isinstance(command, kind)]
    return found


def decided(fortnox: Customer, current: Company, link: LinkView | None) -> list[Command]:
    candidates = [current] if link is None else []
    return decide_customer(
        "7",
        fortnox,
        link=link,
        linked_company=current if link is not None else None,
        candidates=candidates,
        linked_company_ids=set(),
        field_ids=FIELDS,
    ).commands


def link_saved(commands: list[Command]) -> LinkView:
    save = only(commands, SaveLink)
    return LinkView(
        LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "7", save.fingerprint, save.synced_fields
    )


# --- the rule ---------------------------------------------------------------------------------


def test_an_address_the_company_got_from_the_customer_is_cleared_once_it_has_none() -> None:
    """Street, zip code, city and country go, as when one field is cleared; the region stays,
    and the map position of the old address goes with it."""
    visit = Address(type="Visit", address="Kungsgatan 1")
    mapped: dict[str, Address | None] = {"Mail": None, "Visit": None}

    merged = merge_addresses([MAIL, visit], mapped, fill_only=False, from_fortnox={"Mail"})

    mail, kept = merged
    assert (mail.type, synced(mail), mail.state) == ("Mail", CLEARED, "Stockholms län")
    assert (mail.model_extra or {}).keys().isdisjoint({"latitude", "longitude"})
    assert kept == visit  # the Visit address is the company's own


def test_an_address_that_did_not_come_from_the_customer_is_kept() -> None:
    mapped: dict[str, Address | None] = {"Mail": None, "Visit": None}
    assert merge_addresses([MAIL], mapped, fill_only=False) == [MAIL]
    assert merge_addresses([MAIL], mapped, fill_only=True, from_fortnox={"Mail"}) == [MAIL]


def test_only_the_first_address_of_the_type_is_cleared_and_none_is_added() -> None:
    branch = Address(type="Mail", address="Branch street 2", city="Borås")
    mapped: dict[str, Address | None] = {"Mail": None, "Visit": None}

    merged = merge_addresses([MAIL, branch], mapped, fill_only=False, from_fortnox={"Visit"})
    assert merged == [MAIL, branch]

    merged = merge_addresses([MAIL, branch], mapped, fill_only=False, from_fortnox={"Mail"})
    assert [synced(address) for address in merged] == [CLEARED, synced(branch)]


def test_an_address_holds_the_customers_when_its_synced_fields_agree() -> None:
    wanted = Address(type="Mail", address="Sveavägen 21", zipcode="111 34", city="Stockholm")
    moved = Address(type="Mail", address="Drottninggatan 5")
    assert types_holding([MAIL], {"Mail": wanted, "Visit": None}) == ["Mail"]
    assert types_holding([MAIL], {"Mail": moved, "Visit": None}) == []
    assert types_holding([MAIL], {"Mail": None, "Visit": None}) == []


# --- the decision -----------------------------------------------------------------------------


def test_a_company_made_of_a_customer_records_its_addresses_as_the_customers() -> None:
    unmatched = company(name="Björk AB")
    create = only(decided(customer(**POSTAL, **VISITING), unmatched, None), CreateUpsalesCompany)
    assert create.link.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Mail", "Visit"]


def test_a_cleared_address_the_company_holds_is_cleared_and_no_longer_recorded() -> None:
    """Linked while both had the same address (the Visit address added from Fortnox): the
    bookkeeper clears the whole address, then the whole visiting address."""
    linked = link_saved(decided(customer(**POSTAL, **VISITING), company(MAIL), None))
    assert linked.synced_fields is not None
    assert linked.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Mail", "Visit"]
    visit = Address(type="Visit", address="Kungsgatan 1", city="Stockholm")

    commands = decided(customer(**VISITING), company(MAIL, visit), linked)

    update = only(commands, UpdateUpsalesCompany)
    mail, kept = update.changes.addresses
    assert (synced(mail), mail.state) == (CLEARED, "Stockholms län")
    assert kept == visit
    after = link_saved(commands)
    assert after.synced_fields is not None
    assert after.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Visit"]

    commands = decided(customer(), company(mail, visit), after)
    (_, emptied) = only(commands, UpdateUpsalesCompany).changes.addresses
    assert synced(emptied) == CLEARED
    assert FORTNOX_ADDRESS_TYPES not in (link_saved(commands).synced_fields or {})


def test_a_company_linked_while_the_customer_had_no_address_keeps_its_own() -> None:
    linked = link_saved(decided(customer(), company(MAIL), None))
    assert FORTNOX_ADDRESS_TYPES not in (linked.synced_fields or {})

    commands = decided(customer(Phone1="08-1"), company(MAIL), linked)

    update = only(commands, UpdateUpsalesCompany)
    assert update.changes.model_dump(exclude_unset=True) == {"phone": "08-1"}


def test_an_address_the_customer_gets_after_the_link_is_cleared_with_it() -> None:
    """Linked while the customer had no address; the bookkeeper then gives it one, which the
    company takes, and clears it again: it is cleared in the company too."""
    linked = link_saved(decided(customer(), company(MAIL), None))
    moved = {**POSTAL, "Address1": "Drottninggatan 5"}
    commands = decided(customer(**moved), company(MAIL), linked)
    (taken,) = only(commands, UpdateUpsalesCompany).changes.addresses
    assert taken.address == "Drottninggatan 5"

    commands = decided(customer(), company(taken), link_saved(commands))

    (cleared,) = only(commands, UpdateUpsalesCompany).changes.addresses
    assert synced(cleared) == CLEARED


def test_addresses_left_for_a_waiting_upsales_edit_keep_what_the_link_records() -> None:
    """A street edited in Upsales waits to be sent while the bookkeeper changes the phone: the
    addresses are left as they are, and so is the record of those that came from Fortnox."""
    fortnox = customer(**POSTAL)
    linked = link_saved(decided(fortnox, company(MAIL), None))
    edited = MAIL.model_copy(update={"address": "Sveavägen 23"})

    commands = decided(customer(**POSTAL, Phone1="08-1"), company(edited), linked)

    assert only(commands, UpdateUpsalesCompany).changes.addresses is None
    saved = link_saved(commands)
    assert saved.fingerprint == customer_fingerprint(fortnox)
    assert saved.synced_fields is not None
    assert saved.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Mail"]


# --- the Upsales → Fortnox sync keeps the record ------------------------------------------------


def test_the_upsales_sync_neither_counts_nor_drops_the_recorded_address_types() -> None:
    fortnox = customer(**POSTAL)
    linked = link_saved(decided(fortnox, company(MAIL), None))
    fields = company_fields_from_upsales(company(MAIL), FIELDS)
    assert company_gate(linked, fields) is not None  # nothing changed: no Fortnox call

    edited = company_fields_from_upsales(company(MAIL, phone="08-2"), FIELDS)
    decision = decide_company_update(3, linked, edited, fortnox, fortnox_unchanged=True)

    assert decision.changed_fields == ("phone",)
    assert decision.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Mail"]
    unrecorded = replace(linked, synced_fields={**fields})
    decision = decide_company_update(3, unrecorded, edited, fortnox, fortnox_unchanged=True)
    assert FORTNOX_ADDRESS_TYPES not in decision.synced_fields
