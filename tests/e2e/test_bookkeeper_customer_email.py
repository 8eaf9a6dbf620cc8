"""The customer's e-mail as the bookkeeper keeps it in Fortnox shows on its Upsales company, in
the account field ``FORTNOX_EMAIL`` that sends a sales rep's e-mail to Fortnox."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import context_of, custom_value, settle
from tests.e2e.test_company_link_edits import (
    edit_company,
    email_field_and_linked_company,
    fortnox_writes,
)
from upsales_fortnox.integrations.fortnox.models import Customer


async def test_the_bookkeepers_email_shows_on_the_company_and_stays_in_fortnox(
    harness: SyncHarness,
) -> None:
    email_field, company_id = await email_field_and_linked_company(harness)
    company = harness.upsales_entity("accounts", company_id)
    assert company is not None and custom_value(company, email_field) == "gammal@ek.se"

    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Email="faktura@ek.se"))
    harness.services.fortnox_calls.clear()
    await settle(harness)

    company = harness.upsales_entity("accounts", company_id)
    assert company is not None and custom_value(company, email_field) == "faktura@ek.se"
    assert fortnox_writes(harness) == {}  # the echo of the write to Upsales sends nothing

    edit_company(harness, company_id, {"phone": "090-12 34 56"})
    await settle(harness)

    customer = harness.fortnox_entity("customers", "7")
    assert customer is not None
    assert (customer["Phone1"], customer["Email"]) == ("090-12 34 56", "faktura@ek.se")
