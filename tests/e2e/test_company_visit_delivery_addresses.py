"""A linked company's visiting and delivery addresses sync both ways: a sales rep's edit of the
company's ``Visit`` or ``Delivery`` address reaches the Fortnox customer, a bookkeeper's edit
of the customer's reaches the company, and neither write comes back as a write to its source."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call, settle
from tests.e2e.outbound_support import fortnox_list, link_demo_products
from tests.e2e.test_company_link_edits import bookkeeper_adds, edit_company, fortnox_writes
from upsales_fortnox.domain.inbound.addresses import company_fields_of
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType

EK: dict[str, str] = {
    "Name": "Ek AB",
    "OrganisationNumber": "556012-3456",
    "Address1": "Box 7",
    "ZipCode": "901 01",
    "City": "Umeå",
    "CountryCode": "SE",
    "VisitingAddress": "Kungsgatan 1",
    "VisitingZipCode": "903 26",
    "VisitingCity": "Umeå",
    "VisitingCountryCode": "SE",
    "DeliveryAddress1": "Lager 9",
    "DeliveryAddress2": "Port 3",
    "DeliveryZipCode": "903 27",
    "DeliveryCity": "Umeå",
    "DeliveryCountryCode": "SE",
}


def _addresses(harness: SyncHarness, company_id: int) -> dict[str, dict[str, Any]]:
    company = harness.upsales_entity("accounts", company_id)
    assert company is not None
    return {address["type"]: address for address in company["addresses"]}


def _moved(harness: SyncHarness, company_id: int, **by_type: dict[str, Any]) -> list[Any]:
    """The company's addresses with those of ``by_type`` changed as given."""
    return [
        {**address, **by_type.get(address_type, {})}
        for address_type, address in _addresses(harness, company_id).items()
    ]


def _account_writes(harness: SyncHarness) -> int:
    return harness.services.upsales_calls["PUT /accounts/{id}"]


async def _linked(harness: SyncHarness) -> int:
    harness.connect_upsales_hooks()
    link = await bookkeeper_adds(harness, "7", EK)
    return link.upsales_id


async def test_a_reps_visiting_and_delivery_address_reach_the_customer_once(
    harness: SyncHarness,
) -> None:
    company_id = await _linked(harness)
    visit = {"address": "Drottninggatan 5", "zipcode": "903 29", "country": "NO"}
    moved = _moved(harness, company_id, Visit=visit, Delivery={"address": "Lager 10"})
    harness.services.fortnox_calls.clear()
    written = _account_writes(harness)

    edit_company(harness, company_id, {"addresses": moved})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    visiting = ("VisitingAddress", "VisitingZipCode", "VisitingCity", "VisitingCountryCode")
    assert [customer[name] for name in visiting] == ["Drottninggatan 5", "903 29", "Umeå", "NO"]
    assert (customer["DeliveryAddress1"], customer["DeliveryAddress2"]) == ("Lager 10", "")
    assert (customer["Address1"], customer["DeliveryCity"]) == ("Box 7", "Umeå")
    # one write to Fortnox; the event of it writes nothing back to Upsales
    assert fortnox_writes(harness) == {"PUT /customers/{CustomerNumber}": 1}
    assert _account_writes(harness) == written
    assert _addresses(harness, company_id)["Delivery"]["address"] == "Lager 10"


async def test_a_delivery_address_cleared_in_upsales_is_cleared_in_fortnox(
    harness: SyncHarness,
) -> None:
    """The rep empties the company's Delivery address: the customer's delivery address is
    cleared, but for its country code, which Fortnox takes no blank of (and which the
    bookkeeper's next change does not bring back to the company alone)."""
    company_id = await _linked(harness)
    empty = {"address": None, "zipcode": None, "city": None, "country": None}

    edit_company(harness, company_id, {"addresses": _moved(harness, company_id, Delivery=empty)})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    delivery = ("DeliveryAddress1", "DeliveryAddress2", "DeliveryZipCode", "DeliveryCity")
    assert [customer[name] for name in delivery] == ["", "", "", ""]
    assert customer["VisitingAddress"] == "Kungsgatan 1"
    # the country code Fortnox keeps makes no delivery address of a country alone in Upsales
    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": {"Phone1": "090-2"}})
    await settle(harness)
    assert _addresses(harness, company_id)["Delivery"]["country"] is None


async def test_the_bookkeepers_addresses_show_and_stay_in_fortnox_after_a_reps_edit(
    harness: SyncHarness,
) -> None:
    company_id = await _linked(harness)
    moved = {"VisitingAddress": "Storgatan 2", "DeliveryAddress1": "Lager 12"}
    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": moved})
    harness.services.fortnox_calls.clear()
    await settle(harness)

    addresses = _addresses(harness, company_id)
    assert addresses["Visit"]["address"] == "Storgatan 2"
    assert addresses["Delivery"]["address"] == "Lager 12, Port 3"
    assert fortnox_writes(harness) == {}  # the echo of the write to Upsales sends nothing

    edit_company(harness, company_id, {"phone": "090-12 34 56"})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    assert (customer["Phone1"], customer["VisitingAddress"]) == ("090-12 34 56", "Storgatan 2")
    assert (customer["DeliveryAddress1"], customer["DeliveryAddress2"]) == ("Lager 12", "Port 3")


async def _as_linked_before(harness: SyncHarness) -> None:
    """The company link as one saved before the visiting and delivery addresses were company
    fields: its merge base has none of them."""
    async with harness.services.session_factory() as session:
        link = await session.scalar(
            select(Link).where(Link.fortnox_type == FortnoxType.CUSTOMER, Link.fortnox_id == "7")
        )
        assert link is not None and link.synced_fields is not None
        kept = company_fields_of(link.synced_fields)
        link.synced_fields = {
            name: value
            for name, value in kept.items()
            if not name.startswith(("visit_", "delivery_"))
        }
        await session.commit()


async def test_a_company_linked_before_keeps_its_own_visiting_address_and_is_not_rewritten(
    harness: SyncHarness,
) -> None:
    """A company whose own Visit address differs from the customer's, linked before these
    addresses synced both ways: a phone edit sends the phone alone (neither side's visiting
    address is known to be the newer), and the customer's unchanged event rewrites nothing."""
    harness.connect_upsales_hooks()
    own_visit = {"type": "Visit", "address": "Egen väg 3", "zipcode": "903 30", "city": "Umeå"}
    (company_id,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Ek AB", "orgNo": "556012-3456", "addresses": [own_visit]}],
    )
    await settle(harness)
    link = await bookkeeper_adds(harness, "7", EK)
    assert link.upsales_id == company_id
    assert _addresses(harness, company_id)["Visit"]["address"] == "Egen väg 3"
    await _as_linked_before(harness)
    harness.services.fortnox_calls.clear()

    edit_company(harness, company_id, {"phone": "090-12 34 56"})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    assert (customer["Phone1"], customer["VisitingAddress"]) == ("090-12 34 56", "Kungsgatan 1")
    assert fortnox_writes(harness) == {"PUT /customers/{CustomerNumber}": 1}
    written = _account_writes(harness)

    await fortnox_call(harness, "PUT", "/customers/7", {"Customer": {"Phone1": "090-12 34 56"}})
    await settle(harness)

    assert _account_writes(harness) == written
    assert _addresses(harness, company_id)["Visit"]["address"] == "Egen väg 3"


async def test_a_won_deals_new_customer_carries_the_companys_addresses_without_echo_writes(
    harness: SyncHarness,
) -> None:
    """The first sync of a company, for its won deal: the customer Fortnox makes has the
    company's visiting and delivery addresses (countries as codes), and the echoes of that
    create and of the customer number written to the company write nothing more."""
    await link_demo_products(harness)
    harness.connect_upsales_hooks()
    await settle(harness)
    order = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert order is not None
    company_id = order["client"]["id"]
    visit = {"type": "Visit", "address": "Kungsgatan 1", "city": "Umeå", "country": "Sverige"}
    delivery = {"type": "Delivery", "address": "Lager 9", "zipcode": "0150", "country": "NO"}
    harness.upsales.update_entity(
        harness.demo.customer_id, "accounts", company_id, {"addresses": [visit, delivery]}
    )
    await settle(harness)
    harness.services.upsales_calls.clear()
    harness.services.fortnox_calls.clear()

    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        harness.demo.opportunity_id,
        {"stage": {"id": harness.demo.stage_won_id}, "probability": 100},
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    await settle(harness)

    (customer,) = fortnox_list(harness, "customers")
    customer = harness.fortnox_entity("customers", customer["CustomerNumber"])
    assert customer is not None
    visiting = ("VisitingAddress", "VisitingCity", "VisitingCountryCode")
    assert [customer[name] for name in visiting] == ["Kungsgatan 1", "Umeå", "SE"]
    delivering = ("DeliveryAddress1", "DeliveryZipCode", "DeliveryCountryCode")
    assert [customer[name] for name in delivering] == ["Lager 9", "0150", "NO"]
    assert fortnox_writes(harness) == {"POST /customers": 1, "POST /invoices": 1}
    assert _account_writes(harness) == 1  # the customer number
