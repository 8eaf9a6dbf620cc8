"""Won deals and the Fortnox customers a bookkeeper has made inactive (``Active: false``).

A company without a customer link is matched to an active customer before an inactive one; a
company that only an inactive customer matches is neither linked to it nor given a second
customer: the deal waits, with a status asking for the customer to be activated, and is sent
by itself once it is. Whether Fortnox takes a document for an inactive customer is not known
(``facts.INACTIVE_CUSTOMER_DOCUMENTS_REFUSED``): the deal of a company linked to one ends
either way without a crash or a second customer.
"""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import fortnox_list, job, link_of, sync_order, win
from tests.e2e.won_deal_support import first_deal_synced, intents, new_won_deal
from upsales_fortnox.core.texts import say
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.order_answers import order_status
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

ORG_NUMBER = "5566778899"  # the demo deal's company's


def _seed_customers(harness: SyncHarness, *active_by_number: tuple[str, bool]) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": number,
                "Name": "Nordisk Verkstad",
                "OrganisationNumber": ORG_NUMBER,
                "Active": active,
            }
            for number, active in active_by_number
        ],
    )


async def _set_active(harness: SyncHarness, customer_number: str, active: bool) -> None:
    """The bookkeeper (de)activates the customer in Fortnox."""
    await fortnox_call(
        harness, "PUT", f"/customers/{customer_number}", {"Customer": {"Active": active}}
    )


async def _status_message(harness: SyncHarness, order_id: int) -> str:
    async with harness.services.session_factory() as session:
        shown = await order_status(session, harness.installation_id, order_id)
    message: str = shown["message"]
    return message


def _invoiced_customers(harness: SyncHarness) -> list[str]:
    return [invoice["CustomerNumber"] for invoice in fortnox_list(harness, "invoices")]


def _waits_for_customer(dead: SyncJob, customer_number: str) -> None:
    assert dead.status == JobStatus.DEAD, dead.last_error
    assert dead.attempts == 1
    assert (dead.last_error or "").startswith(
        f"fortnox_customer_inactive: Fortnox customer {customer_number} is inactive"
    ), dead.last_error


async def test_a_won_deal_is_matched_to_the_active_customer_not_the_retired_one(
    linked: SyncHarness,
) -> None:
    harness = linked
    _seed_customers(harness, ("K-1", False), ("K-2", True))
    win(harness, harness.demo.opportunity_id)

    sent = await sync_order(harness, harness.demo.opportunity_id)

    assert sent.status == JobStatus.DONE, sent.last_error
    result = sent.result or {}
    assert (result["customer"], result["fortnox_customer"]) == ("matched", "K-2")
    assert _invoiced_customers(harness) == ["K-2"]
    assert len(fortnox_list(harness, "customers")) == 2
    company = await link_of(harness, LinkEntity.COMPANY, harness.demo.account_ids[0])
    assert company is not None and company.fortnox_id == "K-2"
    assert harness.services.fortnox_calls["GET /customers/{CustomerNumber}"] == 2


async def test_a_deal_whose_company_matches_only_a_retired_customer_waits_for_the_bookkeeper(
    linked: SyncHarness,
) -> None:
    """Neither linked to the retired customer nor given a second one: the deal dies with a
    status asking for the customer to be activated, and is sent to it once it is (the
    customer's Fortnox event links it and retries the deal)."""
    harness = linked
    _seed_customers(harness, ("K-1", False))
    order_id = harness.demo.opportunity_id
    win(harness, order_id)

    dead = await sync_order(harness, order_id)

    _waits_for_customer(dead, "K-1")
    assert fortnox_list(harness, "invoices") == []
    assert len(fortnox_list(harness, "customers")) == 1
    assert await link_of(harness, LinkEntity.COMPANY, harness.demo.account_ids[0]) is None
    assert await link_of(harness, LinkEntity.ORDER, order_id) is None
    assert await _status_message(harness, order_id) == say("status.failed.customer_inactive")

    await _set_active(harness, "K-1", True)
    await EventFeed(harness).sync()

    retried = await job(harness, dead.id)
    assert retried.status == JobStatus.DONE, retried.last_error
    assert (retried.result or {})["fortnox_customer"] == "K-1"
    assert _invoiced_customers(harness) == ["K-1"]
    assert len(fortnox_list(harness, "customers")) == 1


async def _linked_customer_made_inactive(harness: SyncHarness) -> str:
    """The first deal made the company's customer; the bookkeeper has retired it since."""
    await first_deal_synced(harness)
    company = await link_of(harness, LinkEntity.COMPANY, harness.demo.account_ids[0])
    assert company is not None
    await _set_active(harness, company.fortnox_id, False)
    return company.fortnox_id


async def test_a_deal_of_a_company_linked_to_a_retired_customer_is_sent_when_fortnox_takes_it(
    linked: SyncHarness,
) -> None:
    """One answer to ``facts.INACTIVE_CUSTOMER_DOCUMENTS_REFUSED``: Fortnox makes the invoice.
    The company keeps its customer (a linked company costs no customer read)."""
    harness = linked
    customer_number = await _linked_customer_made_inactive(harness)
    order_id = new_won_deal(harness)

    sent = await sync_order(harness, order_id)

    assert sent.status == JobStatus.DONE, sent.last_error
    assert (sent.result or {})["fortnox_customer"] == customer_number
    assert _invoiced_customers(harness) == [customer_number, customer_number]
    assert len(fortnox_list(harness, "customers")) == 1


async def test_a_deal_of_a_company_linked_to_a_retired_customer_fortnox_refuses_waits_for_it(
    linked: SyncHarness,
) -> None:
    """The other answer: Fortnox refuses the invoice (400). The deal ends with the status of a
    retired customer, not a bare refusal, nothing else is made, and once the customer is
    activated the deal is sent by itself."""
    harness = linked
    harness.fortnox.tenant(harness.tenant_id).refuses_documents_of_inactive_customers = True
    customer_number = await _linked_customer_made_inactive(harness)
    order_id = new_won_deal(harness)
    kept = await intents(harness)  # the first deal's

    dead = await sync_order(harness, order_id)

    _waits_for_customer(dead, customer_number)
    assert _invoiced_customers(harness) == [customer_number]  # the first deal's
    assert len(fortnox_list(harness, "customers")) == 1
    assert await intents(harness) == kept  # the refused create's withdrawn: nothing to wait for
    assert await _status_message(harness, order_id) == say("status.failed.customer_inactive")

    await _set_active(harness, customer_number, True)
    await EventFeed(harness).sync()

    retried = await job(harness, dead.id)
    assert retried.status == JobStatus.DONE, retried.last_error
    assert _invoiced_customers(harness) == [customer_number, customer_number]
    assert len(fortnox_list(harness, "customers")) == 1
