"""Custom values we do not own survive our custom-field writes, against an Upsales sandbox that
REPLACES an entity's values with the ``custom`` array of a PUT (as real Upsales may)."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, companies_named, context_of, custom_value
from tests.e2e.outbound_support import edit, link_demo_products, sync_order, win
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import JobStatus


def add_account_fields(harness: SyncHarness) -> tuple[int, int]:
    """An account field of the customer's own (``Bransch``) and the VAT number field we sync."""
    industry, vat = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [
            {"name": "Bransch", "alias": "BRANSCH", "datatype": "String"},
            {"name": "Momsnummer", "alias": "FORTNOX_VAT_NUMBER", "datatype": "String"},
        ],
    )
    return int(industry), int(vat)


def set_custom(harness: SyncHarness, company_id: int, field_id: int, value: Any) -> None:
    """Set one value as the Upsales UI would: the whole array, changed in one place."""
    company = harness.upsales_entity("accounts", company_id) or {}
    values = [item for item in company.get("custom") or [] if item["fieldId"] != field_id]
    edit(
        harness,
        "accounts",
        company_id,
        {"custom": [*values, {"fieldId": field_id, "value": value}]},
    )


async def test_the_customer_number_written_for_a_won_deal_keeps_other_values(
    harness: SyncHarness,
) -> None:
    industry, _ = add_account_fields(harness)
    company_id = harness.demo.account_ids[0]
    set_custom(harness, company_id, industry, "Verkstad")
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    company = harness.upsales_entity("accounts", company_id) or {}
    number_field = harness.demo.account_fortnox_customer_number_field_id
    assert custom_value(company, number_field)  # the number was written ...
    assert custom_value(company, industry) == "Verkstad"  # ... and nothing else was lost


async def test_fortnox_updates_and_delete_keep_other_values(harness: SyncHarness) -> None:
    industry, vat = add_account_fields(harness)
    number_field = harness.demo.account_fortnox_customer_number_field_id
    feed = EventFeed(harness)
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "9", "Name": "Ask AB"}])
    await feed.sync()
    (company,) = companies_named(harness, "Ask AB")
    set_custom(harness, company["id"], industry, "Handel")

    context = await context_of(harness)
    await context.fortnox.update_customer("9", Customer(VATNumber="SE556000111101"))
    await feed.sync()

    updated = harness.upsales_entity("accounts", company["id"]) or {}
    assert custom_value(updated, vat) == "SE556000111101"
    assert custom_value(updated, number_field) == "9"
    assert custom_value(updated, industry) == "Handel"

    await context.fortnox.delete_customer("9")
    await feed.sync()

    unlinked = harness.upsales_entity("accounts", company["id"]) or {}
    assert custom_value(unlinked, number_field) is None
    assert custom_value(unlinked, vat) is None
    assert custom_value(unlinked, industry) == "Handel"


async def test_linking_an_existing_company_keeps_other_values(harness: SyncHarness) -> None:
    industry, _ = add_account_fields(harness)
    (existing,) = companies_named(harness, "Nordisk Verkstad AB")
    set_custom(harness, existing["id"], industry, "Tillverkning")
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "1001",
                "Name": "Nordisk Verkstad",
                "OrganisationNumber": "5566778899",
            }
        ],
    )

    await EventFeed(harness).sync()

    linked = harness.upsales_entity("accounts", existing["id"]) or {}
    number_field = harness.demo.account_fortnox_customer_number_field_id
    assert custom_value(linked, number_field) == "1001"
    assert custom_value(linked, industry) == "Tillverkning"
