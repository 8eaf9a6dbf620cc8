"""The VAT type of the Fortnox customer a won deal creates follows the company's country and VAT
number; later company updates leave it to the bookkeeper."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, link_demo_products, sync_company, sync_order, win
from ufs_sandboxes.fortnox.resources.customers import update_customer
from upsales_fortnox.vocabulary import JobStatus


def _abroad(harness: SyncHarness, country: str, vat_number: str | None) -> None:
    """The demo company moved to ``country``, with ``vat_number`` in its VAT number field."""
    (vat_field,) = harness.upsales.seed(
        harness.demo.customer_id,
        "customfields/account",
        [{"name": "Momsnummer", "alias": "FORTNOX_VAT_NUMBER", "datatype": "String"}],
    )
    body: dict[str, Any] = {
        "orgNo": "",
        "addresses": [
            {
                "type": "Mail",
                "address": "Friedrichstraße 10",
                "zipcode": "10117",
                "city": "Berlin",
                "country": country,
            }
        ],
    }
    if vat_number is not None:
        body["custom"] = [{"fieldId": vat_field, "value": vat_number}]
    edit(harness, "accounts", harness.demo.account_ids[0], body)


async def _created_customer(harness: SyncHarness) -> tuple[str, dict[str, Any]]:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    job = await sync_order(harness, harness.demo.opportunity_id)
    assert job.status == JobStatus.DONE, job.last_error
    result = job.result or {}
    assert result["customer"] == "created"
    customer = harness.fortnox_entity("customers", result["fortnox_customer"])
    assert customer is not None
    return result["fortnox_customer"], customer


async def test_an_eu_business_with_a_vat_number_is_created_with_reverse_charge(
    harness: SyncHarness,
) -> None:
    _abroad(harness, "DE", "DE123456789")

    number, customer = await _created_customer(harness)

    assert (customer["CountryCode"], customer["VATNumber"]) == ("DE", "DE123456789")
    assert customer["VATType"] == "EUREVERSEDVAT"
    # the bookkeeper owns the VAT type from then on: a later company update leaves it alone
    update_customer(harness.fortnox.tenant(harness.tenant_id), number, {"VATType": "EUVAT"})
    edit(harness, "accounts", harness.demo.account_ids[0], {"phone": "+49 30 123456"})
    job = await sync_company(harness, harness.demo.account_ids[0])
    assert (job.result or {})["outcome"] == "updated", job.result
    customer = harness.fortnox_entity("customers", number)
    assert customer is not None
    assert (customer["Phone1"], customer["VATType"]) == ("+49 30 123456", "EUVAT")


async def test_a_company_outside_the_eu_is_created_for_export(harness: SyncHarness) -> None:
    _abroad(harness, "NO", "NO923456789MVA")

    _, customer = await _created_customer(harness)

    assert customer["VATType"] == "EXPORT"
