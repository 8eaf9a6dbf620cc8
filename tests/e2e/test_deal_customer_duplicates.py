"""A won deal of a company whose matching Fortnox customer is another company's already (two
companies with one organisation number): it ends with a reason the sales rep can act on, instead
of failing on the link store's uniqueness until it dies."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, fortnox_list, link_of, sync_order, win
from tests.e2e.won_deal_support import new_won_deal
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


async def test_a_second_company_with_the_same_org_number_ends_with_a_clear_reason(
    linked: SyncHarness,
) -> None:
    harness = linked
    first, second = harness.demo.account_ids[0], harness.demo.account_ids[1]
    win(harness, harness.demo.opportunity_id)
    sent = await sync_order(harness, harness.demo.opportunity_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    customer_number = (sent.result or {})["fortnox_customer"]
    org_number = (harness.upsales_entity("accounts", first) or {})["orgNo"]
    edit(harness, "accounts", second, {"orgNo": org_number})

    order_id = new_won_deal(harness, second)
    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DEAD
    assert job.attempts == 1
    assert job.last_error is not None
    assert "fortnox_customer_of_another_company" in job.last_error
    assert f"Fortnox customer {customer_number} " in job.last_error
    assert f"company {first} in Upsales" in job.last_error
    first_link = await link_of(harness, LinkEntity.COMPANY, first)
    assert first_link is not None and first_link.fortnox_id == customer_number
    assert len(fortnox_list(harness, "customers")) == 1
    async with harness.services.session_factory() as session:
        shown = await order_status(session, harness.installation_id, order_id)
    assert shown["message"] == say("status.failed.company_taken", "sv")
