"""A Fortnox customer's change reaches its company's addresses without losing what Upsales
holds beside them (the region, the map position)."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call, link_of, settle
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer
from upsales_fortnox.vocabulary import FortnoxType

MAIL: dict[str, Any] = {
    "type": "Mail",
    "address": "Sveavägen 21",
    "zipcode": "111 34",
    "city": "Stockholm",
    "state": "Stockholms län",
    "country": "SE",
    "latitude": 59.3372,
    "longitude": 18.0597,
}


async def _linked_company(harness: SyncHarness, *, country: str | None = "SE") -> int:
    """A company with a Mail address (with its region and position), linked to the customer
    the bookkeeper adds with the same address and a visiting address, all in ``country``; the
    company's id."""
    feed = EventFeed(harness)
    await feed.sync()
    (company_id,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Ek AB", "orgNo": "556012-3456", "addresses": [{**MAIL, "country": country}]}],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "7",
                "Name": "Ek AB",
                "OrganisationNumber": "556012-3456",
                "Address1": "Sveavägen 21",
                "ZipCode": "111 34",
                "City": "Stockholm",
                "CountryCode": country,
                "VisitingAddress": "Kungsgatan 1",
                "VisitingZipCode": "111 43",
                "VisitingCity": "Stockholm",
                "VisitingCountryCode": country,
            }
        ],
    )
    await feed.sync()
    link = await link_of(harness, FortnoxType.CUSTOMER, "7")
    assert link is not None and link.upsales_id == company_id
    return company_id


def _addresses(harness: SyncHarness, company_id: int) -> dict[str, dict[str, Any]]:
    company = harness.upsales_entity("accounts", company_id)
    assert company is not None
    return {address["type"]: address for address in company["addresses"]}


async def test_a_visiting_address_moved_in_fortnox_leaves_the_mail_address_whole(
    harness: SyncHarness,
) -> None:
    """The bookkeeper moves the customer's visiting address only: the company's Visit address
    follows, and its Mail address, which Fortnox did not change, keeps its region and map
    position."""
    company_id = await _linked_company(harness)
    body = {"Customer": {"VisitingAddress": "Drottninggatan 5"}}
    await fortnox_call(harness, "PUT", "/customers/7", body)

    await EventFeed(harness).sync()

    addresses = _addresses(harness, company_id)
    assert addresses["Visit"]["address"] == "Drottninggatan 5"
    mail = addresses["Mail"]
    assert (mail["address"], mail["state"]) == ("Sveavägen 21", "Stockholms län"), mail
    assert (float(mail["latitude"]), float(mail["longitude"])) == (59.3372, 18.0597), mail


async def test_a_phone_and_visiting_address_change_keep_the_visit_region(
    harness: SyncHarness,
) -> None:
    """The bookkeeper corrects the customer's zip code and phone: the Mail address takes the
    zip code and keeps its region, and the region a sales rep gave the Visit address, which
    Fortnox left as it was, stays."""
    company_id = await _linked_company(harness)
    visit = _addresses(harness, company_id)["Visit"]
    addresses = [MAIL, {**visit, "state": "Stockholms län"}]
    harness.upsales.update_entity(
        harness.demo.customer_id, "accounts", company_id, {"addresses": addresses}, fire_hooks=False
    )
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Phone1="08-123 45", ZipCode="111 35"))

    await EventFeed(harness).sync()

    after = _addresses(harness, company_id)
    assert (after["Mail"]["zipcode"], after["Mail"]["state"]) == ("111 35", "Stockholms län")
    assert after["Visit"]["state"] == "Stockholms län", after["Visit"]


_SYNCED = ("address", "zipcode", "city", "country")
"""The fields of an Upsales address that a Fortnox customer's address fills."""


async def test_an_address_cleared_whole_in_fortnox_is_cleared_in_upsales(
    harness: SyncHarness,
) -> None:
    """The bookkeeper clears the whole address of a customer whose address the company holds:
    the company's Mail address loses its street, zip code and city, as it loses one field the
    bookkeeper clears; its region and the Visit address, which Fortnox still has, stay, and
    nothing goes back to Fortnox."""
    company_id = await _linked_company(harness, country=None)
    blank = {name: API_BLANK for name in ("Address1", "Address2", "ZipCode", "City")}
    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": blank})

    await settle(harness)

    addresses = _addresses(harness, company_id)
    mail = addresses["Mail"]
    assert [mail[name] for name in _SYNCED] == [None, None, None, None], mail
    assert mail["state"] == "Stockholms län", mail
    assert addresses["Visit"]["address"] == "Kungsgatan 1", addresses["Visit"]
    customer = harness.fortnox.entity(harness.tenant_id, "customers", "7")
    assert customer is not None
    assert not any(customer.get(name) for name in ("Address1", "ZipCode", "City")), customer


async def test_a_visiting_address_cleared_whole_in_fortnox_is_cleared_in_upsales(
    harness: SyncHarness,
) -> None:
    """The bookkeeper clears the customer's whole visiting address: the company's Visit
    address, which came from it, is cleared, and its Mail address is left whole."""
    company_id = await _linked_company(harness, country=None)
    blank = {name: API_BLANK for name in ("VisitingAddress", "VisitingZipCode", "VisitingCity")}
    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": blank})

    await EventFeed(harness).sync()

    addresses = _addresses(harness, company_id)
    visit = addresses["Visit"]
    assert [visit[name] for name in _SYNCED] == [None, None, None, None], visit
    mail = addresses["Mail"]
    assert (mail["address"], mail["state"]) == ("Sveavägen 21", "Stockholms län"), mail
    assert (float(mail["latitude"]), float(mail["longitude"])) == (59.3372, 18.0597), mail


async def test_a_company_linked_while_fortnox_had_no_address_keeps_its_address(
    harness: SyncHarness,
) -> None:
    """A company linked to a customer without an address keeps the address a sales rep gave
    it when the bookkeeper changes the customer: none of it came from Fortnox."""
    feed = EventFeed(harness)
    await feed.sync()
    (company_id,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Ek AB", "orgNo": "556012-3456", "addresses": [MAIL]}],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "7", "Name": "Ek AB", "OrganisationNumber": "556012-3456"}],
    )
    await feed.sync()
    link = await link_of(harness, FortnoxType.CUSTOMER, "7")
    assert link is not None and link.upsales_id == company_id
    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": {"Phone1": "08-123 45"}})

    await settle(harness)

    company = harness.upsales_entity("accounts", company_id)
    assert company is not None and company["phone"] == "08-123 45"
    mail = _addresses(harness, company_id)["Mail"]
    assert [mail[name] for name in _SYNCED] == ["Sveavägen 21", "111 34", "Stockholm", "SE"]
    assert mail["state"] == "Stockholms län", mail
