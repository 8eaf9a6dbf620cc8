"""A company's customer is made once when a deal's runs interleave with other deals' (a
stalled worker): a deal whose search missed while another run linked the company uses that
link; a miss stores no wait for a create sent after its search began; and a deal whose old
document wait has long passed still waits for its own lost customer create."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, job, queue, win
from tests.e2e.test_outbound_customer_settling import CUSTOMERS, customers_named
from tests.e2e.won_deal_support import (
    delete_order_link_by_api,
    earlier_creates_settle,
    hold_creates,
    moved_and_its_customer_create_lost,
    new_won_deal,
    run_due,
    sent_fields,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.sync.outbound import deal_customer, earlier_create
from upsales_fortnox.sync.outbound.deal_customer import (
    CompanyCustomerMayLand,
    OwnCustomerCreateMayLand,
)
from upsales_fortnox.sync.outbound.earlier_create import EarlierCreateMayLand
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import FortnoxType, JobStatus


@pytest.mark.parametrize("how", ["the_other_deal_creates", "a_lost_create_lands_and_is_matched"])
async def test_a_deal_whose_search_missed_while_another_linked_the_company_uses_that_link(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Two runs overlap (a stalled worker): deal C's search misses, then deal B links the
    company (making its customer, or matching one that deal A's lost create made), which
    forgets the company's notes. C finds the link rather than no note, and makes nothing."""
    harness = linked
    first = harness.demo.opportunity_id
    company = win(harness, first)["client"]
    held = []
    if how == "a_lost_create_lands_and_is_matched":
        held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
        await run_due(harness, await queue(harness, "upsales.order", first))
        assert len(held) == 1
    other, overlapping = new_won_deal(harness), new_won_deal(harness)
    search = deal_customer.find_candidates
    linked_by_other: list[str] = []
    overlapped = False

    async def other_deal_links_meanwhile(fortnox: Any, fields: Any) -> Any:
        nonlocal overlapped
        found = await search(fortnox, fields)
        if not overlapped:  # the overlapping deal's search has missed: the other deal runs
            overlapped = True
            if held:
                await held.pop().land()
            done = await sync_won_order(harness.services, harness.installation_id, other)
            assert done.customer is not None
            linked_by_other.append(done.customer.customer_number)
        return found

    monkeypatch.setattr(deal_customer, "find_candidates", other_deal_links_meanwhile)

    result = await sync_won_order(harness.services, harness.installation_id, overlapping)

    assert result.outcome == "created" and result.customer is not None
    assert result.customer.how == "linked"
    assert result.customer.customer_number == linked_by_other[0]
    assert len(customers_named(harness, company["name"])) == 1


async def test_a_deal_past_an_old_document_wait_still_waits_for_its_own_customer_create(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deal's invoice create was lost, waited for, found and linked (its intent keeps that
    wait's time). Later the deal is moved to a new company whose customer create is lost, the
    invoice is cancelled and its order link deleted: the run whose search misses after the old
    wait still waits for the customer create, which was sent after that wait."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    held_invoice = hold_creates(harness, monkeypatch, count=1)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    await run_due(harness, job_id)  # its search misses: it waits
    await held_invoice.pop().land()
    await earlier_creates_settle(harness)
    found = await run_due(harness, job_id)
    assert found.status == JobStatus.DONE, found.last_error
    company, held = await moved_and_its_customer_create_lost(harness, monkeypatch, order_id)
    for invoice in harness.fortnox.tenant(harness.tenant_id).collection("invoices").items.values():
        invoice["Cancelled"] = True
    await delete_order_link_by_api(harness)

    with pytest.raises(OwnCustomerCreateMayLand):
        await sync_won_order(harness.services, harness.installation_id, order_id)

    # the run renewed the intent, then waited: the intent, holding the note, is not withdrawn
    sent_at, _ = await _note_of(harness, order_id)
    assert sent_at is not None
    other = new_won_deal(harness)
    edit(harness, "orders", other, {"client": {"id": company["id"]}})
    with pytest.raises(CompanyCustomerMayLand):
        await sync_won_order(harness.services, harness.installation_id, other)
    assert customers_named(harness, company["name"]) == []
    await held.pop().land()
    assert customers_named(harness, company["name"]) == ["2"]


async def test_a_stalled_runs_note_does_not_hide_a_later_runs_create_that_may_land(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sent deal moved to company X: its run finds no note, then stalls. Meanwhile the deal
    is moved to Y, and its next run notes and sends Y's customer create (answer lost). The
    stalled run may not replace that note with X's: it notes nothing and sends nothing."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    assert (await sync_won_order(harness.services, harness.installation_id, order_id)).outcome
    first_company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    edit(harness, "orders", order_id, {"client": {"id": first_company["id"]}})
    then = harness.upsales.create_entity(
        harness.demo.customer_id, "accounts", {"name": "Senare Bolaget AB", "orgNo": "556034-5678"}
    )
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    read_notes = WonDealLinks.customer_creates_to_wait_for
    overlapped = False

    async def the_next_run_sends_meanwhile(links: WonDealLinks, order: int, company_id: int) -> Any:
        nonlocal overlapped
        notes = await read_notes(links, order, company_id)
        if not overlapped:  # the stalled run has read the notes: the next run goes whole
            overlapped = True
            edit(harness, "orders", order_id, {"client": {"id": then["id"]}})
            with pytest.raises(FortnoxUnavailable):
                await sync_won_order(harness.services, harness.installation_id, order_id)
        return notes

    monkeypatch.setattr(WonDealLinks, "customer_creates_to_wait_for", the_next_run_sends_meanwhile)

    with pytest.raises(OwnCustomerCreateMayLand):
        await sync_won_order(harness.services, harness.installation_id, order_id)

    assert len(held) == 1
    async with harness.services.session_factory() as session:
        intent = await session.get(DocumentIntent, (harness.installation_id, order_id))
    assert intent is not None and intent.customer_company_id == then["id"]
    assert customers_named(harness, first_company["name"]) == []


async def _note_of(harness: SyncHarness, order_id: int) -> tuple[Any, Any]:
    """The order's noted customer create: when it was sent, and the wait stored for it."""
    async with harness.services.session_factory() as session:
        intent = await session.get(DocumentIntent, (harness.installation_id, order_id))
    assert intent is not None
    return intent.customer_sent_at, intent.customer_settles_at


async def test_a_search_that_began_before_another_deals_create_stores_no_wait_for_it(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deal A's customer search begins, then (A's worker stalled) deal B of the company runs
    whole and its create's answer is lost. A's miss cannot speak for B's create: A stores no
    wait on B's note (it would end too soon) and looks again a second later."""
    harness = linked
    first = harness.demo.opportunity_id
    win(harness, first)
    other = new_won_deal(harness)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    search = deal_customer.find_candidates
    overlapped = False

    async def other_deal_sends_meanwhile(fortnox: Any, fields: Any) -> Any:
        nonlocal overlapped
        found = await search(fortnox, fields)
        if not overlapped:
            overlapped = True
            with pytest.raises(FortnoxUnavailable):
                await sync_won_order(harness.services, harness.installation_id, other)
        return found

    monkeypatch.setattr(deal_customer, "find_candidates", other_deal_sends_meanwhile)

    with pytest.raises(CompanyCustomerMayLand) as waiting:
        await sync_won_order(harness.services, harness.installation_id, first)

    assert len(held) == 1
    sent_at, settles_at = await _note_of(harness, other)
    assert sent_at is not None and settles_at is None
    assert waiting.value.retry_after is not None and waiting.value.retry_after <= 1.0


async def test_a_document_search_settles_only_the_customer_create_noted_before_it_began(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs of one deal overlap: the second's document search begins, then the first notes
    its customer create. The second's miss stores its wait on the document only."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = win(harness, order_id)["client"]
    stalled = WonDealLinks(harness.services.session_factory, harness.installation_id)
    await stalled.read(order_id, company["id"], [], intent=FortnoxType.INVOICE)
    assert await stalled.record_intent_as_sent()  # the intent the second run finds
    search = earlier_create.find_document_by_reference

    async def the_first_run_notes_meanwhile(*args: Any, **kwargs: Any) -> Any:
        found = await search(*args, **kwargs)
        await stalled.customer_create_sent(
            order_id, company["id"], sent_fields(harness, company["id"])
        )
        return found

    monkeypatch.setattr(earlier_create, "find_document_by_reference", the_first_run_notes_meanwhile)

    with pytest.raises(EarlierCreateMayLand):
        await sync_won_order(harness.services, harness.installation_id, order_id)

    sent_at, customer_settles_at = await _note_of(harness, order_id)
    assert sent_at is not None and customer_settles_at is None
    async with harness.services.session_factory() as session:
        intent = await session.get(DocumentIntent, (harness.installation_id, order_id))
    assert intent is not None and intent.settles_at is not None


async def test_a_deal_waits_for_its_own_create_behind_a_newer_note_of_another_deal(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sent deal's create of company B's customer is lost; it is then moved to company C,
    where another deal noted a later create that has settled. The deal waits for its own create
    (not only for the latest note), and after that wait it makes C's customer: it is never
    stuck between a settled note it reads and its own it may not replace."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    assert (await sync_won_order(harness.services, harness.installation_id, order_id)).outcome
    moved_to, held = await moved_and_its_customer_create_lost(harness, monkeypatch, order_id)
    then = harness.upsales.create_entity(
        harness.demo.customer_id, "accounts", {"name": "Tredje Bolaget AB", "orgNo": "556045-6789"}
    )
    other = new_won_deal(harness)
    others = WonDealLinks(harness.services.session_factory, harness.installation_id)
    await others.read(other, then["id"], [], intent=FortnoxType.INVOICE)
    assert await others.customer_create_sent(other, then["id"], sent_fields(harness, then["id"]))
    async with harness.services.session_factory() as session:  # its wait has passed
        await session.execute(
            update(DocumentIntent)
            .where(DocumentIntent.upsales_order_id == other)
            .values(customer_settles_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    edit(harness, "orders", order_id, {"client": {"id": then["id"]}})

    with pytest.raises(OwnCustomerCreateMayLand) as waiting:
        await sync_won_order(harness.services, harness.installation_id, order_id)

    assert waiting.value.retry_after is not None and waiting.value.retry_after > 5
    _, own_settles_at = await _note_of(harness, order_id)
    assert own_settles_at is not None
    await held.pop().land()
    await earlier_creates_settle(harness)
    done = await sync_won_order(harness.services, harness.installation_id, order_id)
    assert done.customer is not None and done.customer.how == "created"
    assert len(customers_named(harness, then["name"])) == 1
    assert len(customers_named(harness, moved_to["name"])) == 1


async def test_a_run_whose_lease_ends_while_it_notes_its_customer_create_sends_nothing(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deal A's customer create holds its place and passes the lease check; its worker stalls
    while the create is noted, past the job's lease. Another worker takes the installation, and
    deal B of the company, finding no note yet, makes and links the customer. A's create, noted
    now, is not sent: the company has one customer."""
    harness = linked
    first = harness.demo.opportunity_id
    company = win(harness, first)["client"]
    other = new_won_deal(harness)
    note = WonDealLinks.customer_create_sent

    async def stalls_while_noting(links: WonDealLinks, order_id: int, *args: Any) -> bool:
        if order_id == first:  # another worker, outside this job's lease, runs deal B whole
            done = await asyncio.create_task(
                sync_won_order(harness.services, harness.installation_id, other),
                context=contextvars.Context(),
            )
            assert done.outcome == "created" and done.customer is not None
            monkeypatch.setattr(JobStore, "seconds_held", lambda store, job: 0.0)
        return await note(links, order_id, *args)

    monkeypatch.setattr(WonDealLinks, "customer_create_sent", stalls_while_noting)

    ran = await run_due(harness, await queue(harness, "upsales.order", first))

    assert customers_named(harness, company["name"]) == ["1"]
    assert ran.status == JobStatus.QUEUED  # given back, due now, once its handler has ended
    assert (await job(harness, ran.id)).status == JobStatus.QUEUED
