"""Companies: unlinked ones are not sent; linked ones update their Fortnox customer, with a
three-way merge when both sides changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import (
    edit,
    link_demo_products,
    link_of,
    sync_company,
    sync_order,
    win,
)
from ufs_sandboxes.fortnox.resources.customers import update_customer
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


async def test_a_company_without_a_won_deal_is_not_sent(harness: SyncHarness) -> None:
    job = await sync_company(harness, harness.demo.account_ids[1])

    assert job.status == JobStatus.DONE
    assert (job.result or {})["outcome"] == "skipped"
    assert "first won order" in (job.result or {})["reason"]
    assert sum(harness.services.fortnox_calls.values()) == 0


@pytest.fixture
async def linked_company(harness: SyncHarness) -> tuple[SyncHarness, str, dict[str, int]]:
    """The demo company sent with its won deal, with e-mail and VAT number fields."""
    email_field, vat_field = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [
            {"name": "Fakturamejl", "alias": "FORTNOX_EMAIL", "datatype": "String"},
            {"name": "Momsnummer", "alias": "FORTNOX_VAT_NUMBER", "datatype": "String"},
        ],
    )
    fields = {"email": email_field, "vat": vat_field}
    edit(
        harness,
        "accounts",
        harness.demo.account_ids[0],
        {"custom": [{"fieldId": email_field, "value": "faktura@nordiskverkstad.se"}]},
    )
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    job = await sync_order(harness, harness.demo.opportunity_id)
    number = (job.result or {})["fortnox_customer"]
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None and customer["Email"] == "faktura@nordiskverkstad.se"
    return harness, number, fields


async def test_a_changed_company_updates_its_fortnox_customer(
    linked_company: tuple[SyncHarness, str, dict[str, int]],
) -> None:
    harness, number, fields = linked_company
    edit(
        harness,
        "accounts",
        harness.demo.account_ids[0],
        {
            "name": "Nordisk Verkstad Holding AB",
            "orgNo": "5591234567",
            "phone": "031-99 99 99",
            "addresses": [
                {
                    "type": "Mail",
                    "address": "Box 9",
                    "zipcode": "402 02",
                    "city": "Mölndal",
                    "country": "SE",
                }
            ],
            "custom": [
                {"fieldId": fields["email"], "value": "ekonomi@nvh.se"},
                {"fieldId": fields["vat"], "value": "SE559123456701"},
            ],
        },
    )

    job = await sync_company(harness, harness.demo.account_ids[0])

    result: dict[str, Any] = job.result or {}
    assert result["outcome"] == "updated" and result["fortnox_customer"] == number
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert {
        k: customer[k]
        for k in (
            "Name",
            "OrganisationNumber",
            "Address1",
            "ZipCode",
            "City",
            "CountryCode",
            "Phone1",
            "Email",
            "VATNumber",
        )
    } == {
        "Name": "Nordisk Verkstad Holding AB",
        "OrganisationNumber": "559123-4567",
        "Address1": "Box 9",
        "ZipCode": "402 02",
        "City": "Mölndal",
        "CountryCode": "SE",
        "Phone1": "031-99 99 99",
        "Email": "ekonomi@nvh.se",
        "VATNumber": "SE559123456701",
    }
    # the echo of this update (or a repeated hint) changes nothing more
    calls = sum(harness.services.fortnox_calls.values())
    again = await sync_company(harness, harness.demo.account_ids[0])
    assert (again.result or {})["outcome"] == "no_change"
    assert sum(harness.services.fortnox_calls.values()) == calls


async def test_both_sides_changed_fortnox_wins_the_field_both_changed(
    linked_company: tuple[SyncHarness, str, dict[str, int]],
) -> None:
    harness, number, _ = linked_company
    tenant = harness.fortnox.tenant(harness.tenant_id)
    update_customer(tenant, number, {"Phone1": "08-111 11 11", "City": "Borås"})
    edit(
        harness,
        "accounts",
        harness.demo.account_ids[0],
        {"name": "Nordisk Verkstad i Väst AB", "phone": "031-222 22 22"},
    )

    job = await sync_company(harness, harness.demo.account_ids[0])

    result: dict[str, Any] = job.result or {}
    assert result["updated_fields"] == ["name"]
    assert result["conflicts_kept_from_fortnox"] == ["phone"]
    assert result["changed_in_fortnox"] == ["city", "phone"]
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert (customer["Name"], customer["Phone1"], customer["City"]) == (
        "Nordisk Verkstad i Väst AB",
        "08-111 11 11",
        "Borås",
    )
    link = await link_of(harness, LinkEntity.COMPANY, harness.demo.account_ids[0])
    assert link is not None and link.synced_fields is not None
    assert link.synced_fields["name"] == "Nordisk Verkstad i Väst AB"
    assert link.synced_fields["phone"] == "031-123 45 60"  # still the last agreed value


async def test_a_country_cleared_in_upsales_leaves_the_customers_country_as_it_is(
    linked_company: tuple[SyncHarness, str, dict[str, int]],
) -> None:
    """Fortnox takes a country code of exactly two letters (its spec): neither ``API_BLANK``
    nor an empty one clears it, so a country a sales rep clears stays in Fortnox, the rest of
    the change is sent, and the next sync has nothing more to do."""
    harness, number, _ = linked_company
    before = harness.fortnox_entity("customers", number)
    assert before is not None and before["CountryCode"] == "SE"
    edit(
        harness,
        "accounts",
        harness.demo.account_ids[0],
        {
            "phone": "031-12 12 12",
            "addresses": [
                {"type": "Mail", "address": "Box 9", "zipcode": "402 02", "city": "Mölndal"}
            ],
        },
    )

    job = await sync_company(harness, harness.demo.account_ids[0])

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "updated"
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert (customer["CountryCode"], customer["City"], customer["Phone1"]) == (
        "SE",
        "Mölndal",
        "031-12 12 12",
    )
    calls = sum(harness.services.fortnox_calls.values())
    again = await sync_company(harness, harness.demo.account_ids[0])
    assert (again.result or {})["outcome"] == "no_change"
    assert sum(harness.services.fortnox_calls.values()) == calls
