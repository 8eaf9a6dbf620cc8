"""A won deal's lost customer create, the company changed meanwhile in a field the search does
not use (the phone): the customer found by the company's fields now is linked with the fields
the create sent as the base, so the change reaches Fortnox, whichever is worked first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import context_of, settle
from tests.e2e.outbound_support import edit, link_of, queue, win
from tests.e2e.won_deal_support import earlier_creates_settle, hold_creates, run_due
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

NEW_PHONE = "031-999 99 99"


async def _phone_changed_while_the_create_may_land(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, list[Any]]:
    order_id = harness.demo.opportunity_id
    company_id = win(harness, order_id)["client"]["id"]
    held = hold_creates(harness, monkeypatch, count=1, of="customers")
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)  # the customer's create is held: not committed yet
    edit(harness, "accounts", company_id, {"phone": NEW_PHONE})
    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED, waiting.last_error
    assert len(held) == 1
    return company_id, job_id, held


@pytest.mark.parametrize("event_first", [False, True], ids=["deal_first", "event_first"])
async def test_a_phone_changed_while_the_lost_create_may_land_reaches_fortnox(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, event_first: bool
) -> None:
    """The late customer is linked by the deal's retry (found by the organisation number, which
    did not change) or by its Fortnox event first: either way the phone the sales rep changed
    meanwhile reaches Fortnox, and the next Fortnox change does not revert it in Upsales."""
    harness = linked
    company_id, job_id, held = await _phone_changed_while_the_create_may_land(harness, monkeypatch)
    await held.pop().land()
    if event_first:
        await harness.deliver_fortnox_events(("customers",))
        await harness.run_jobs()
    await earlier_creates_settle(harness)
    done = await run_due(harness, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    customer_link = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer_link is not None

    harness.connect_upsales_hooks()
    await settle(harness)
    context = await context_of(harness)
    await context.fortnox.update_customer(customer_link.fortnox_id, Customer(City="Borås"))
    await settle(harness)

    company = harness.upsales_entity("accounts", company_id)
    customer = harness.fortnox_entity("customers", customer_link.fortnox_id)
    assert company is not None and customer is not None
    assert (company["phone"], customer["Phone1"]) == (NEW_PHONE, NEW_PHONE)


async def test_a_phone_cleared_while_the_lost_create_may_land_stays_cleared(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sales rep corrects the organisation number and clears the phone while the lost
    create may land; the late customer's Fortnox event is worked first (it links the customer
    by the sent fields and queues the company's sync). The cleared phone should reach Fortnox,
    not be filled back in Upsales from the customer made before the change."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company_id = win(harness, order_id)["client"]["id"]
    held = hold_creates(harness, monkeypatch, count=1, of="customers")
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    edit(harness, "accounts", company_id, {"orgNo": "556045-6789", "phone": ""})
    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED, waiting.last_error
    await held.pop().land()

    await harness.deliver_fortnox_events(("customers",))
    await harness.run_jobs()

    customer_link = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer_link is not None
    company = harness.upsales_entity("accounts", company_id)
    customer = harness.fortnox_entity("customers", customer_link.fortnox_id)
    assert company is not None and customer is not None
    assert customer["OrganisationNumber"] == "556045-6789"
    assert (company.get("phone") or "", customer.get("Phone1") or "") == ("", ""), (
        company.get("phone"),
        customer.get("Phone1"),
    )
