"""A linked company's visiting and delivery addresses are company fields both ways (Upsales
``Visit`` and ``Delivery`` addresses ↔ Fortnox ``Visiting*`` and ``Delivery*``): a sales rep's
edit reaches the customer, its echo is no change, a link from before sends nothing unasked,
and an edit waiting to be sent is left alone by a bookkeeper's change of another field."""

from __future__ import annotations

from typing import Any

from tests.sync.outbound.outbound_builders import company
from upsales_fortnox.domain.inbound.addresses import FORTNOX_ADDRESS_TYPES, company_fields_of
from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.inbound.decide_customer import (
    UNCHANGED,
    decide_customer,
    synced_after_write,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    company_fields_from_upsales,
    new_customer,
)
from upsales_fortnox.domain.outbound.decide import company_gate, decide_company_update
from upsales_fortnox.domain.sync_commands import SaveLink, UpdateUpsalesCompany
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

IDS = AccountFieldIds(customer_number=1)
CUSTOMER = Customer(
    CustomerNumber="7",
    Name="Ek AB",
    Phone1="090-1",
    Address1="Box 7",
    City="Umeå",
    VisitingAddress="Kungsgatan 1",
    VisitingZipCode="903 26",
    VisitingCity="Umeå",
    DeliveryAddress1="Lager 9",
    DeliveryAddress2="Port 3",
    DeliveryCity="Umeå",
)
MAIL = {"type": "Mail", "address": "Box 7", "city": "Umeå"}
VISIT = {"type": "Visit", "address": "Kungsgatan 1", "zipcode": "903 26", "city": "Umeå"}
DELIVERY = {"type": "Delivery", "address": "Lager 9, Port 3", "city": "Umeå"}


def _company(*addresses: dict[str, Any], phone: str = "090-1") -> Any:
    return company(
        id=5,
        name="Ek AB",
        phone=phone,
        addresses=[MAIL, *addresses],
        custom=[{"fieldId": 1, "value": "7"}],
    )


def _link(synced: dict[str, Any], customer: Customer = CUSTOMER) -> LinkView:
    return LinkView(
        LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "7", customer_fingerprint(customer), synced
    )


def _in_sync() -> LinkView:
    return _link(synced_after_write(None, _company(VISIT, DELIVERY), CUSTOMER, IDS))


def test_the_visit_and_delivery_addresses_are_company_fields_while_the_company_has_them() -> None:
    fields = company_fields_from_upsales(_company(VISIT, {**DELIVERY, "country": "norge"}), IDS)
    assert (fields["visit_address"], fields["visit_country_code"]) == ("Kungsgatan 1", None)
    assert (fields["delivery_address1"], fields["delivery_country_code"]) == (
        "Lager 9, Port 3",
        "NO",
    )
    without = company_fields_from_upsales(_company(), IDS)
    assert not [name for name in without if name.startswith(("visit_", "delivery_"))]


def test_values_fortnox_would_refuse_are_the_companys_own() -> None:
    """A zip code longer than the 10 characters Fortnox takes, a country that is no two-letter
    code: neither sent nor cleared, and no deal refused for them."""
    odd = {**VISIT, "zipcode": "SE-903 26 Umeå", "country": "Atlantis"}
    fields = company_fields_from_upsales(_company(odd), IDS)
    assert "visit_zip_code" not in fields and "visit_country_code" not in fields
    assert fields["visit_address"] == "Kungsgatan 1"
    wire = new_customer(fields).to_wire()
    assert wire["VisitingAddress"] == "Kungsgatan 1" and "VisitingZipCode" not in wire


def test_a_value_fortnox_would_refuse_is_not_cleared_by_the_bookkeepers_next_change() -> None:
    """The rep types a zip code longer than Fortnox takes into a Visit address whose customer
    has none: it is not sent, and the bookkeeper's phone change, or move of the visiting
    address to another city, leaves it in Upsales."""
    no_zip = CUSTOMER.model_copy(update={"VisitingZipCode": None})
    linked = _company({**VISIT, "zipcode": None}, DELIVERY)
    link = _link(synced_after_write(None, linked, no_zip, IDS), no_zip)
    odd = _company({**VISIT, "zipcode": "SE-903 26 Umeå"}, DELIVERY)
    phoned = no_zip.model_copy(update={"Phone1": "090-9"})
    decision = decide_customer(
        "7", phoned, link=link, linked_company=odd, candidates=[], linked_company_ids=[],
        field_ids=IDS,
    )  # fmt: skip
    update, save = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and isinstance(save, SaveLink)
    assert update.changes.to_wire() == {"phone": "090-9"}
    assert "Visit" in save.synced_fields[FORTNOX_ADDRESS_TYPES]

    moved = phoned.model_copy(update={"VisitingCity": "Luleå"})
    decision = decide_customer(
        "7", moved, link=_link(dict(save.synced_fields), phoned),
        linked_company=odd.model_copy(update={"phone": "090-9"}), candidates=[],
        linked_company_ids=[], field_ids=IDS,
    )  # fmt: skip
    update, _ = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and update.changes.addresses is not None
    (visit,) = [address for address in update.changes.addresses if address.type == "Visit"]
    assert (visit.city, visit.zipcode) == ("Luleå", "SE-903 26 Umeå")


def test_a_new_customer_gets_the_companys_visiting_and_delivery_addresses() -> None:
    wire = new_customer(company_fields_from_upsales(_company(VISIT, DELIVERY), IDS)).to_wire()
    assert (wire["VisitingAddress"], wire["VisitingCity"]) == ("Kungsgatan 1", "Umeå")
    assert wire["DeliveryAddress1"] == "Lager 9, Port 3"


def test_a_reps_edit_of_both_addresses_is_sent_to_the_customer() -> None:
    moved = _company({**VISIT, "address": "Storgatan 2", "country": "se"}, DELIVERY | {"city": ""})
    fields = company_fields_from_upsales(moved, IDS)
    decision = decide_company_update(5, _in_sync(), fields, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {
        "VisitingAddress": "Storgatan 2",
        "VisitingCountryCode": "SE",
        "DeliveryCity": API_BLANK,
    }


def test_a_delivery_street_edit_clears_the_second_line() -> None:
    moved = _company(VISIT, {**DELIVERY, "address": "Lager 10"})
    fields = company_fields_from_upsales(moved, IDS)
    decision = decide_company_update(5, _in_sync(), fields, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {
        "DeliveryAddress1": "Lager 10",
        "DeliveryAddress2": API_BLANK,
    }


def test_the_echo_of_either_write_is_no_change() -> None:
    """The customer as our write left it is the link's fingerprint: its event writes nothing
    to Upsales. The company as the Fortnox sync wrote it is the link's base: its hook asks
    nothing of Fortnox."""
    moved = CUSTOMER.model_copy(update={"VisitingAddress": "Storgatan 2"})
    decision = decide_customer(
        "7", moved, link=_link({}, moved), linked_company=_company(VISIT, DELIVERY),
        candidates=[], linked_company_ids=[], field_ids=IDS,
    )  # fmt: skip
    assert (decision.outcome, decision.commands) == (UNCHANGED, [])

    decision = decide_customer(
        "7", moved, link=_in_sync(), linked_company=_company(VISIT, DELIVERY),
        candidates=[], linked_company_ids=[], field_ids=IDS,
    )  # fmt: skip
    update, save = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and isinstance(save, SaveLink)
    assert update.changes.addresses is not None
    written = company(**{**_company().model_dump(), "addresses": update.changes.addresses})
    link = _link(dict(save.synced_fields), moved)
    assert company_gate(link, company_fields_from_upsales(written, IDS)) is not None


def test_a_link_from_before_sends_no_address_fortnox_has_otherwise() -> None:
    """A base without the address fields (a link saved before they synced both ways): a
    phone edit sends the phone alone where Fortnox has its own visiting address, and records
    both sides as they are; an empty field of Fortnox's is filled."""
    own = {**VISIT, "address": "Egen väg 3"}
    before = {
        name: value
        for name, value in company_fields_of(_in_sync().synced_fields or {}).items()
        if not name.startswith(("visit_", "delivery_"))
    }
    edited = company_fields_from_upsales(_company(own, DELIVERY, phone="090-2"), IDS)
    decision = decide_company_update(5, _link(before), edited, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "090-2"}
    assert decision.synced_fields["visit_address"] == "Egen väg 3"

    no_visit = CUSTOMER.model_copy(update={"VisitingAddress": None})
    decision = decide_company_update(5, _link(before, no_visit), edited, no_visit)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "090-2", "VisitingAddress": "Egen väg 3"}


def test_a_link_from_before_fills_no_part_of_an_address_fortnox_has() -> None:
    """Fortnox has a visiting address without a zip code, the company its own with one: the
    first edit after the upgrade sends the phone alone, not the company's zip code into the
    bookkeeper's address (which would make it one of neither side)."""
    own = {"type": "Visit", "address": "Egen väg 3", "zipcode": "111 34", "city": "Stockholm"}
    before = {
        name: value
        for name, value in company_fields_of(_in_sync().synced_fields or {}).items()
        if not name.startswith(("visit_", "delivery_"))
    }
    no_zip = CUSTOMER.model_copy(update={"VisitingZipCode": None})
    edited = company_fields_from_upsales(_company(own, DELIVERY, phone="090-2"), IDS)
    decision = decide_company_update(5, _link(before, no_zip), edited, no_zip)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "090-2"}
    assert decision.synced_fields["visit_zip_code"] == "111 34"


def test_a_visiting_address_waiting_to_be_sent_is_left_by_a_bookkeepers_phone_change() -> None:
    """The rep moves the Visit address; before that edit is sent the bookkeeper changes the
    phone: the phone comes to Upsales, the Visit address stays the rep's (it is sent next),
    and the link still records it as the customer's (a clearing in Fortnox reaches it)."""
    rep_moved = _company({**VISIT, "address": "Storgatan 2"}, DELIVERY)
    phoned = CUSTOMER.model_copy(update={"Phone1": "090-9"})
    decision = decide_customer(
        "7", phoned, link=_in_sync(), linked_company=rep_moved, candidates=[],
        linked_company_ids=[], field_ids=IDS,
    )  # fmt: skip
    update, save = decision.commands
    assert isinstance(update, UpdateUpsalesCompany) and isinstance(save, SaveLink)
    assert update.changes.to_wire() == {"phone": "090-9"}
    assert save.fingerprint == _in_sync().fingerprint  # the event of the rep's write brings it
    assert save.synced_fields[FORTNOX_ADDRESS_TYPES] == ["Delivery", "Mail", "Visit"]
    fields = company_fields_from_upsales(rep_moved.model_copy(update={"phone": "090-9"}), IDS)
    after = decide_company_update(5, _link(dict(save.synced_fields)), fields, phoned)
    assert after.changes is not None
    assert after.changes.to_wire() == {"VisitingAddress": "Storgatan 2"}


def test_an_address_the_company_no_longer_has_clears_nothing() -> None:
    """A company without its Delivery address (a rep removed it, or Upsales answered the sync's
    write without it: facts.DELIVERY_ADDRESS_KEPT) sends nothing of the customer's."""
    dropped = company_fields_from_upsales(_company(VISIT), IDS)
    decision = decide_company_update(5, _in_sync(), dropped, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is None


def test_a_company_that_never_had_the_address_clears_nothing() -> None:
    linked = _link(synced_after_write(None, _company(VISIT), CUSTOMER, IDS))
    phoned = company_fields_from_upsales(_company(VISIT, phone="090-2"), IDS)
    decision = decide_company_update(5, linked, phoned, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "090-2"}


def test_a_visiting_address_of_a_country_code_alone_is_none() -> None:
    """Fortnox takes no blank country code, so a visiting address cleared there keeps it: the
    company gets no Visit address of a country alone, and its emptied one stays empty."""
    country_only = CUSTOMER.model_copy(
        update={
            "VisitingAddress": None,
            "VisitingZipCode": None,
            "VisitingCity": None,
            "VisitingCountryCode": "SE",
            "Phone1": "090-2",
        }
    )
    emptied = {"type": "Visit", "address": None}
    for addresses in ((DELIVERY,), (emptied, DELIVERY)):
        decision = decide_customer(
            "7", country_only, link=_in_sync(), linked_company=_company(*addresses),
            candidates=[], linked_company_ids=[], field_ids=IDS,
        )  # fmt: skip
        update, _ = decision.commands
        assert isinstance(update, UpdateUpsalesCompany)
        assert update.changes.to_wire() == {"phone": "090-2"}
