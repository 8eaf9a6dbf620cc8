"""The company's web page is a company field both ways (Upsales ``webpage`` ↔ Fortnox ``WWW``):
a sales rep's edit reaches Fortnox, a bookkeeper's edit of another field never clears it, and
one longer than Fortnox takes is the company's own (neither sent nor cleared)."""

from __future__ import annotations

import pytest

from tests.sync.outbound.outbound_builders import company
from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.inbound.decide_customer import decide_customer, synced_after_write
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    company_fields_from_upsales,
    customer_changes,
    new_customer,
)
from upsales_fortnox.domain.outbound.decide import decide_company_update
from upsales_fortnox.domain.sync_commands import UpdateUpsalesCompany
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

IDS = AccountFieldIds(customer_number=1)
SITE = "https://www.åkesbygg.se"
CUSTOMER = Customer(
    CustomerNumber="7", Name="Åkes Bygg AB", OrganisationNumber="556677-8899", Phone1="08-1"
)


def _company(**fields: object) -> object:
    return company(
        id=5,
        name="Åkes Bygg AB",
        orgNo="556677-8899",
        phone="08-1",
        custom=[{"fieldId": 1, "value": "7"}],
        **fields,
    )


def _link(synced: dict[str, object], customer: Customer = CUSTOMER) -> LinkView:
    return LinkView(
        LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "7", customer_fingerprint(customer), synced
    )


def test_a_new_customer_gets_the_companys_web_page() -> None:
    fields = company_fields_from_upsales(_company(webpage=f" {SITE} "), IDS)
    assert fields["www"] == SITE
    assert new_customer(fields).to_wire()["WWW"] == SITE


def test_a_web_page_set_in_upsales_is_sent_to_the_linked_customer() -> None:
    before = _company()
    link = _link(synced_after_write(None, before, CUSTOMER, IDS))
    fields = company_fields_from_upsales(_company(webpage=SITE), IDS)
    decision = decide_company_update(5, link, fields, CUSTOMER, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"WWW": SITE}


def test_a_web_page_cleared_in_upsales_is_cleared_in_fortnox() -> None:
    assert customer_changes({"www": None}).to_wire() == {"WWW": API_BLANK}


def test_a_web_page_edit_waiting_for_fortnox_is_kept_when_the_bookkeeper_edits_the_phone() -> None:
    """The rep sets the web page; before that edit is sent the bookkeeper changes the phone:
    the phone comes to Upsales, the web page stays the rep's (it is sent next)."""
    link = _link(synced_after_write(None, _company(), CUSTOMER, IDS))
    rep_edited = _company(webpage=SITE)
    phoned = CUSTOMER.model_copy(update={"Phone1": "08-2"})
    decision = decide_customer(
        "7",
        phoned,
        link=link,
        linked_company=rep_edited,
        candidates=[],
        linked_company_ids=[],
        field_ids=IDS,
    )
    (update, *_) = decision.commands
    assert isinstance(update, UpdateUpsalesCompany)
    assert update.changes.to_wire() == {"phone": "08-2"}


def test_a_web_page_longer_than_fortnox_takes_is_neither_sent_nor_cleared() -> None:
    """Fortnox's ``WWW`` takes at most 128 characters: a longer one stays the company's own,
    and the won deal is not refused for it."""
    long_site = "https://example.se/" + "a" * 120
    fields = company_fields_from_upsales(_company(webpage=long_site), IDS)
    assert "www" not in fields
    assert "WWW" not in new_customer(fields).to_wire()
    linked = _company(webpage=long_site)
    link = _link(synced_after_write(None, linked, CUSTOMER, IDS))
    phoned = CUSTOMER.model_copy(update={"Phone1": "08-2"})
    decision = decide_customer(
        "7", phoned, link=link, linked_company=linked, candidates=[],
        linked_company_ids=[], field_ids=IDS,
    )  # fmt: skip
    (update, *_) = decision.commands
    assert isinstance(update, UpdateUpsalesCompany)
    assert "webpage" not in update.changes.to_wire()


@pytest.mark.parametrize(
    "web_page", ["www.åkesbygg.se", "https://åkesbygg.se/om-oss?lang=sv", "akesbygg.se"]
)
def test_a_web_address_is_sent(web_page: str) -> None:
    assert company_fields_from_upsales(_company(webpage=web_page), IDS)["www"] == web_page


@pytest.mark.parametrize("web_page", ["se Facebook", "saknas", "info@akesbygg.se"])
def test_a_web_page_that_is_no_web_address_stays_the_companys_own(web_page: str) -> None:
    """Whether Fortnox refuses a ``WWW`` that is no web address is not known
    (facts.WWW_CHECKED_AS_WEB_ADDRESS): such a note is never sent, so no deal waits on it."""
    fields = company_fields_from_upsales(_company(webpage=web_page), IDS)
    assert "www" not in fields
    assert "WWW" not in new_customer(fields).to_wire()


def test_a_web_page_the_bookkeeper_gives_replaces_a_note_the_company_holds() -> None:
    """A company whose web page is a note (not sent) keeps it while the customer has none, and
    takes the one the bookkeeper gives the customer."""
    noted = _company(webpage="se Facebook")
    link = _link(synced_after_write(None, noted, CUSTOMER, IDS))
    for customer, wanted in (
        (CUSTOMER.model_copy(update={"Phone1": "08-2"}), None),
        (CUSTOMER.model_copy(update={"WWW": SITE}), SITE),
    ):
        decision = decide_customer(
            "7", customer, link=link, linked_company=noted, candidates=[],
            linked_company_ids=[], field_ids=IDS,
        )  # fmt: skip
        (update, *_) = decision.commands
        assert isinstance(update, UpdateUpsalesCompany)
        assert update.changes.to_wire().get("webpage") == wanted


def test_a_link_from_before_the_web_page_synced_both_ways_sends_it_only_once_edited() -> None:
    """The link was made when the web page went only from Fortnox to Upsales, so it stores
    none. A sales rep's edit of the phone must not send Upsales' old web page over the
    bookkeeper's new one: the two are recorded as they are. A web page edited in Upsales
    after that is sent; one Fortnox lacks is filled in from Upsales at once."""
    old_synced = {
        "name": "Åkes Bygg AB",
        "organisation_number": "556677-8899",
        "phone": "08-1",
        "address1": None,
        "zip_code": None,
        "city": None,
        "country_code": None,
    }
    link = LinkView(LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "7", "fp", old_synced)
    edited = company(
        id=5,
        name="Åkes Bygg AB",
        orgNo="556677-8899",
        phone="08-2",
        webpage="www.old-site.se",
        custom=[{"fieldId": 1, "value": "7"}],
    )
    fields = company_fields_from_upsales(edited, IDS)
    moved = CUSTOMER.model_copy(update={"WWW": "www.new-site.se"})
    decision = decide_company_update(5, link, fields, moved, fortnox_unchanged=True)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "08-2"}
    assert decision.synced_fields["www"] == "www.old-site.se"

    relinked = LinkView(
        LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "7", "fp", decision.synced_fields
    )
    renamed = company_fields_from_upsales(
        edited.model_copy(update={"phone": "08-2", "webpage": "www.third-site.se"}), IDS
    )
    unchanged = moved.model_copy(update={"Phone1": "08-2"})
    sent = decide_company_update(5, relinked, renamed, unchanged, fortnox_unchanged=True)
    assert sent.changes is not None
    assert sent.changes.to_wire() == {"WWW": "www.third-site.se"}

    empty = decide_company_update(5, link, fields, CUSTOMER, fortnox_unchanged=False)
    assert empty.changes is not None
    assert empty.changes.to_wire() == {"Phone1": "08-2", "WWW": "www.old-site.se"}
