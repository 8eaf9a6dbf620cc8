"""Company links made with differences (the customer's own name or address): an Upsales edit
made since is sent while Fortnox has not changed since the link, and an e-mail is sent or kept
by the same rule."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import context_of, link_of, settle
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType


def fortnox_writes(harness: SyncHarness) -> dict[str, int]:
    return {
        k: v for k, v in harness.services.fortnox_calls.items() if v and not k.startswith("GET")
    }


def edit_company(harness: SyncHarness, company_id: int, body: dict[str, Any], **kw: Any) -> Any:
    return harness.upsales.update_entity(
        harness.demo.customer_id,
        "accounts",
        company_id,
        body,
        user_id=harness.demo.sales_rep_user_ids[0],
        **kw,
    )


async def bookkeeper_adds(harness: SyncHarness, number: str, customer: dict[str, str]) -> Link:
    """The bookkeeper adds customer ``number`` in Fortnox and the sync settles: its link."""
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": number, **customer}])
    await settle(harness)
    link = await link_of(harness, FortnoxType.CUSTOMER, number)
    assert link is not None
    return link


async def _linked_with_an_invoice_address(
    harness: SyncHarness, street: str, fortnox_address: dict[str, str]
) -> int:
    """A company with an Invoice address at ``street`` (the address the Upsales → Fortnox sync
    reads first), linked by the Fortnox sync to a customer the bookkeeper adds with
    ``fortnox_address``; the company's id."""
    harness.connect_upsales_hooks()
    invoice = {"type": "Invoice", "address": street, "zipcode": "903 26", "city": "Umeå"}
    (company_id,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Ek AB", "orgNo": "556012-3456", "addresses": [{**invoice, "country": "SE"}]}],
    )
    await settle(harness)
    added = {"Name": "Ek AB", "OrganisationNumber": "556012-3456", **fortnox_address}
    link = await bookkeeper_adds(harness, "7", added)
    assert link.upsales_id == company_id
    return link.upsales_id


async def _invoice_address_moved(harness: SyncHarness, company_id: int, street: str) -> None:
    company = harness.upsales_entity("accounts", company_id)
    assert company is not None
    addresses = [
        {**a, "address": street} if a["type"] == "Invoice" else a for a in company["addresses"]
    ]
    edit_company(harness, company_id, {"addresses": addresses})
    await settle(harness)


async def email_field_and_linked_company(harness: SyncHarness) -> tuple[int, int]:
    """An account field ``FORTNOX_EMAIL``, and the company the Fortnox sync made of a customer
    the bookkeeper adds with an e-mail: the field's id and the company's."""
    (email_field,) = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [{"name": "Fakturamejl", "alias": "FORTNOX_EMAIL", "datatype": "String"}],
    )
    harness.connect_upsales_hooks()
    link = await bookkeeper_adds(harness, "7", {"Name": "Ek AB", "Email": "gammal@ek.se"})
    return email_field, link.upsales_id


async def test_a_rename_in_upsales_reaches_fortnox_after_the_fortnox_sync_linked_a_differing_name(
    harness: SyncHarness,
) -> None:
    """The bookkeeper adds a customer the CRM already has (same org number, the name written
    out in full). Fortnox has not changed since the link; the sales rep renames the company in
    Upsales: the rename should reach Fortnox (nothing changed there since the link)."""
    harness.connect_upsales_hooks()
    await settle(harness)
    added = {"Name": "Nordisk Verkstad Aktiebolag", "OrganisationNumber": "556677-8899"}
    link = await bookkeeper_adds(harness, "1001", added)

    edit_company(harness, link.upsales_id, {"name": "Nordisk Verkstad i Göteborg AB"})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "1001")
    company = harness.upsales_entity("accounts", link.upsales_id)
    assert customer is not None and company is not None
    # the two sides must at least agree; the sales rep's rename is expected to win
    assert customer["Name"] == company["name"] == "Nordisk Verkstad i Göteborg AB", (
        customer["Name"],
        company["name"],
    )


async def test_an_invoice_address_edit_in_upsales_reaches_fortnox(
    harness: SyncHarness,
) -> None:
    """The company was linked with another address than the customer's (the Fortnox sync adds
    a Mail address); the sales rep moves the invoice address: it reaches Fortnox."""
    box = {"Address1": "Box 7", "ZipCode": "901 01", "City": "Umeå"}
    company_id = await _linked_with_an_invoice_address(harness, "Fakturavägen 1", box)

    await _invoice_address_moved(harness, company_id, "Nya Fakturavägen 9")

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None and customer["Address1"] == "Nya Fakturavägen 9"


async def test_an_invoice_address_edit_reaches_fortnox_after_a_fortnox_address_change(
    harness: SyncHarness,
) -> None:
    """The same address on both sides at the link; the bookkeeper moves the customer (the
    Fortnox sync writes the Invoice address); then the sales rep corrects the Invoice address:
    it reaches Fortnox."""
    same = {"Address1": "Storgatan 1", "ZipCode": "903 26", "City": "Umeå", "CountryCode": "SE"}
    company_id = await _linked_with_an_invoice_address(harness, "Storgatan 1", same)
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Address1="Hamngatan 2"))
    await settle(harness)

    await _invoice_address_moved(harness, company_id, "Torget 5")

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None and customer["Address1"] == "Torget 5"


async def test_the_bookkeepers_move_shows_on_the_invoice_address_and_stays_in_fortnox(
    harness: SyncHarness,
) -> None:
    """The bookkeeper moves a customer whose company has an invoice address: the move shows on
    that address in Upsales (where sales reads it, and the Upsales → Fortnox sync reads it
    from). A phone edit by the rep afterwards reaches Fortnox and leaves the move there."""
    same = {"Address1": "Storgatan 1", "ZipCode": "903 26", "City": "Umeå", "CountryCode": "SE"}
    company_id = await _linked_with_an_invoice_address(harness, "Storgatan 1", same)
    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Address1="Hamngatan 2", City="Luleå"))
    await settle(harness)

    company = harness.upsales_entity("accounts", company_id)
    assert company is not None
    invoice = [a for a in company["addresses"] if a["type"] == "Invoice"]
    assert [(a["address"], a["city"]) for a in invoice] == [("Hamngatan 2", "Luleå")]

    edit_company(harness, company_id, {"phone": "090-12 34 56"})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    assert (customer["Phone1"], customer["Address1"], customer["City"]) == (
        "090-12 34 56",
        "Hamngatan 2",
        "Luleå",
    )


async def test_an_email_set_in_upsales_after_fortnox_changed_it_reaches_fortnox(
    harness: SyncHarness,
) -> None:
    """The rep sets the e-mail (sent); the bookkeeper later changes it in Fortnox (it comes to
    Upsales); then the rep sets a new one: it reaches Fortnox, not dropped as a conflict."""
    email_field, company_id = await email_field_and_linked_company(harness)
    edit_company(harness, company_id, {"custom": [{"fieldId": email_field, "value": "a@ek.se"}]})
    await settle(harness)
    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None and customer["Email"] == "a@ek.se"

    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Email="bokforing@ek.se"))
    await settle(harness)
    edit_company(harness, company_id, {"custom": [{"fieldId": email_field, "value": "ny@ek.se"}]})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    assert customer["Email"] == "ny@ek.se"


async def test_linking_a_company_with_an_email_does_not_rewrite_the_customers_email(
    harness: SyncHarness,
) -> None:
    """The bookkeeper adds a customer the CRM already has (same organisation number); the
    company's FORTNOX_EMAIL holds another address than the customer's. README: linking writes
    the customer number in Upsales "and nothing back to Fortnox"; the echo of that write
    should not overwrite the customer's invoice e-mail."""
    (email_field,) = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [{"name": "Fakturamejl", "alias": "FORTNOX_EMAIL", "datatype": "String"}],
    )
    harness.connect_upsales_hooks()
    edit_company(
        harness,
        harness.demo.account_ids[0],
        {"custom": [{"fieldId": email_field, "value": "info@nordiskverkstad.se"}]},
        fire_hooks=False,
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "1001",
                "Name": "Nordisk Verkstad AB",
                "OrganisationNumber": "556677-8899",
                "Email": "faktura@nordiskverkstad.se",
            }
        ],
    )
    harness.services.fortnox_calls.clear()

    await settle(harness)

    link = await link_of(harness, FortnoxType.CUSTOMER, "1001")
    assert link is not None and link.upsales_id == harness.demo.account_ids[0]
    customer = harness.fortnox_entity("customers", "1001")
    assert customer is not None
    assert customer["Email"] == "faktura@nordiskverkstad.se", customer["Email"]
    assert fortnox_writes(harness) == {}


async def test_an_email_set_in_upsales_for_a_company_made_from_fortnox_reaches_fortnox(
    harness: SyncHarness,
) -> None:
    email_field, company_id = await email_field_and_linked_company(harness)

    edit_company(
        harness, company_id, {"custom": [{"fieldId": email_field, "value": "faktura@ek.se"}]}
    )
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None and customer["Email"] == "faktura@ek.se"
