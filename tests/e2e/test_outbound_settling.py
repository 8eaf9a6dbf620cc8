"""A retried won deal whose search finds nothing waits until an earlier create can no longer
land, searches again, and only then creates; a deal whose create never went out (refused
before it was sent, or refused with an answer that leaves nothing created) is created later
without a search or a wait; one whose create may have landed (a timeout, a 409) is searched
for again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import link_of, queue, sync_order, win
from tests.e2e.won_deal_support import (
    CREATE,
    SEARCH,
    answered_with,
    created_with_its_create_alone,
    earlier_creates_settle,
    first_deal_synced,
    fortnox_calls,
    hold_creates,
    intents,
    invoices_of,
    landed_then_run,
    new_won_deal,
    run_due,
    settling,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxError,
    FortnoxRateLimited,
    FortnoxUnavailable,
    FortnoxValidationError,
)
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.links.repository.document_intents import EarlierIntent
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.sync.outbound import earlier_create, won_deals
from upsales_fortnox.sync.outbound import fortnox_documents as documents
from upsales_fortnox.sync.outbound.earlier_create import (
    RACED_RUN_DELAY,
    EarlierCreateMayLand,
    find_earlier_document,
    intent_recorded,
)
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity


async def test_a_deal_refused_before_its_create_is_created_later_without_a_search(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its create was never sent, so its intent is withdrawn: no search, no wait."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    async def refuse(*args: object, **kwargs: object) -> None:
        raise PermanentError("a product has no article", code="product_not_in_fortnox")

    with monkeypatch.context() as patch:
        patch.setattr(won_deals, "resolve_article_numbers", refuse)
        with pytest.raises(PermanentError):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 1  # the first deal's alone

    await created_with_its_create_alone(harness, order_id)


async def test_a_create_fortnox_commits_after_the_retrys_first_search_is_linked(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection drops before Fortnox commits; the create lands while the retry waits,
    and so does the retry's own create after the wait: each is found, never made twice."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    held = hold_creates(harness, monkeypatch, count=2)
    job_id = await queue(harness, "upsales.order", order_id)

    await run_due(harness, job_id)  # the create is held: Fortnox has not committed it yet
    waiting = await run_due(harness, job_id)  # the retry's search misses it, so it waits
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert len(held) == 1 and invoices_of(harness, order_id) == []
    shown = await answer_app_status_order(
        harness.services, harness.installation_id, {"data": {"obj": {"id": order_id}}}
    )
    assert shown.body["status"] == "waiting"
    assert shown.body["message"] == say("status.confirming_earlier_send", "sv")
    job = await landed_then_run(harness, held, job_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    (invoice,) = invoices_of(harness, order_id)
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == str(invoice["DocumentNumber"])
    assert job.attempts == 2  # the dropped create and the linking run; the wait is not one


async def test_a_create_after_the_wait_that_drops_too_waits_again(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    held = hold_creates(harness, monkeypatch, count=2)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    await run_due(harness, job_id)
    await held.pop().cancel()  # Fortnox stopped this one with its client: it never lands
    await earlier_creates_settle(harness)

    await run_due(harness, job_id)  # the second create is held too
    waiting = await run_due(harness, job_id)

    assert len(held) == 1
    assert waiting.status == JobStatus.QUEUED, "created again though a create may still land"
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    job = await landed_then_run(harness, held, job_id)
    assert (job.result or {})["outcome"] == "found_and_linked"
    assert len(invoices_of(harness, order_id)) == 1


@pytest.mark.parametrize(
    "refusal",
    [
        FortnoxValidationError("Kunden finns inte", status=400, fortnox_code=2000433),
        FortnoxRateLimited("rate limit", status=429),
    ],
    ids=["400", "429"],
)
async def test_a_create_fortnox_answered_with_a_refusal_is_sent_again_without_a_search(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, refusal: Exception
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    with monkeypatch.context() as patch:
        patch.setattr(documents, "create_document", answered_with(refusal))
        with pytest.raises(type(refusal)):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 1

    await created_with_its_create_alone(harness, order_id)


async def test_an_intent_a_later_attempt_took_over_is_not_withdrawn(linked: SyncHarness) -> None:
    """Two runs of one deal overlap (a stalled worker): the first's create is refused (nothing
    made) after the second renewed the intent for its own create."""
    harness = linked
    order_id = new_won_deal(harness)

    stalled, _ = await _attempt(harness, order_id)
    renewing, read = await _attempt(harness, order_id)
    assert read is not None
    waited_for = utcnow()
    assert await renewing.search_again_at(order_id, waited_for, read)
    assert await renewing.create_after_wait(order_id, waited_for)
    renewing.create_sent()
    stalled.create_ended()
    await stalled.withdraw_unsent_intent()
    assert await intents(harness) == 1

    stalled, _ = await _attempt(harness, order_id)  # sees the intent: it does not own it
    await stalled.withdraw_unsent_intent()
    assert await intents(harness) == 1


async def test_an_intent_set_waiting_is_not_withdrawn(linked: SyncHarness) -> None:
    harness = linked
    order_id = new_won_deal(harness)
    stalled, _ = await _attempt(harness, order_id)
    waiting, earlier = await _attempt(harness, order_id)
    assert earlier is not None
    assert await waiting.search_again_at(order_id, utcnow(), earlier)

    stalled.create_ended()  # refused: nothing of it can land
    await stalled.withdraw_unsent_intent()

    assert await intents(harness) == 1
    withdrawn, _ = await _attempt(harness, order_id + 1)
    assert await intents(harness) == 2
    withdrawn.create_ended()
    await withdrawn.withdraw_unsent_intent()
    assert await intents(harness) == 1  # its own, refused: withdrawn


async def test_two_runs_of_a_deal_never_both_create_after_the_wait(linked: SyncHarness) -> None:
    """Overlapping runs (a stalled worker): of two first misses one stores the wait, and of two
    runs past it one renews the intent and creates; each other one reads the intent again."""
    harness = linked
    order_id = new_won_deal(harness)

    await _attempt(harness, order_id)  # its create's outcome is unknown
    (first_miss, read), (second_miss, _) = (
        await _attempt(harness, order_id),
        await _attempt(harness, order_id),
    )
    assert read is not None
    waited_for = utcnow()
    assert await first_miss.search_again_at(order_id, waited_for, read)
    later = waited_for + timedelta(seconds=9)
    assert not await second_miss.search_again_at(order_id, later, read)

    (one, _), (other, _) = await _attempt(harness, order_id), await _attempt(harness, order_id)
    assert await one.create_after_wait(order_id, waited_for)
    assert not await other.create_after_wait(order_id, waited_for)
    one.create_sent()
    await other.withdraw_unsent_intent()
    assert await intents(harness) == 1


async def test_a_create_the_sandbox_refuses_over_http_is_sent_again_without_a_search(
    linked: SyncHarness,
) -> None:
    """The deal's company is linked to a customer Fortnox does not have: the create is answered
    400, so the intent is withdrawn; once the link is mended the deal costs its create alone."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    company_id = harness.demo.account_ids[0]
    customer = await link_of(harness, LinkEntity.COMPANY, company_id)
    assert customer is not None
    await _link_company_to(harness, company_id, "99999")

    refused = await sync_order(harness, order_id)

    assert refused.status == JobStatus.DEAD
    assert await intents(harness) == 1
    await _link_company_to(harness, company_id, customer.fortnox_id)
    await created_with_its_create_alone(harness, order_id)


async def _link_company_to(harness: SyncHarness, company_id: int, customer_number: str) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Link)
            .where(Link.entity == LinkEntity.COMPANY, Link.upsales_id == company_id)
            .values(fortnox_id=customer_number)
        )
        await session.commit()


async def _attempt(
    harness: SyncHarness, order_id: int
) -> tuple[WonDealLinks, EarlierIntent | None]:
    """A run of the deal that has read its links and, when they held no intent, sent its
    create (recording its intent as it went): the links, and the earlier intent it found."""
    links = WonDealLinks(harness.services.session_factory, harness.installation_id)
    read = await links.read(order_id, None, [], intent=FortnoxType.INVOICE)
    if read.sent_before is None:
        assert await links.record_intent_as_sent()
    return links, read.sent_before


async def test_a_stalled_runs_miss_does_not_set_waiting_a_create_sent_after_its_search(
    linked: SyncHarness,
) -> None:
    """A stalled run searched before another run of the deal sent a create of its own (after
    its wait); the stalled run's miss cannot speak for that create, so it stores no wait."""
    harness = linked
    order_id = new_won_deal(harness)
    await _attempt(harness, order_id)  # its create's outcome is unknown
    stalled, stalled_read = await _attempt(harness, order_id)
    waiting, read = await _attempt(harness, order_id)
    assert stalled_read is not None and read is not None
    waited_for = utcnow()
    assert await waiting.search_again_at(order_id, waited_for, read)
    assert await waiting.create_after_wait(order_id, waited_for)
    waiting.create_sent()  # its outcome is unknown too

    assert not await stalled.search_again_at(order_id, utcnow(), stalled_read)
    assert await settling(harness) == []
    assert await intents(harness) == 1


@pytest.mark.parametrize(
    "answer",
    [
        FortnoxValidationError("Konflikt", status=409),
        FortnoxUnavailable("Service Unavailable", status=503),
    ],
    ids=["409", "503"],
)
async def test_a_create_answered_so_that_it_may_have_landed_is_searched_for_before_another(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, answer: FortnoxError
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    with monkeypatch.context() as patch:
        patch.setattr(documents, "create_document", answered_with(answer))
        with pytest.raises(type(answer)):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 2  # the first deal's, and this one's: kept
    harness.services.fortnox_calls.clear()
    job_id = await queue(harness, "upsales.order", order_id)

    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert fortnox_calls(harness) == {SEARCH: 1}
    await earlier_creates_settle(harness)
    job = await run_due(harness, job_id)

    assert (job.result or {})["outcome"] == "created"
    assert fortnox_calls(harness) == {SEARCH: 2, CREATE: 1}
    assert len(invoices_of(harness, order_id)) == 1


async def _search_missing_while(
    harness: SyncHarness,
    monkeypatch: pytest.MonkeyPatch,
    links: WonDealLinks,
    read: EarlierIntent,
    order_id: int,
    other_run: Callable[[], Awaitable[bool]],
) -> EarlierCreateMayLand:
    """This run's search for the deal's document misses while ``other_run`` (another run of
    the deal) changes its intent; what the run raises."""

    async def miss(*args: object, **kwargs: object) -> None:
        assert await other_run()
        return None

    monkeypatch.setattr(earlier_create, "find_document_by_reference", miss)
    context = await installation_context(harness.services, harness.installation_id)
    with pytest.raises(EarlierCreateMayLand) as raised:
        await find_earlier_document(context.fortnox, links, read, order_id, settle_seconds=60)
    return raised.value


async def test_a_miss_whose_wait_another_run_stored_first_reads_the_intent_again(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    order_id = new_won_deal(harness)
    await _attempt(harness, order_id)  # its create's outcome is unknown
    ours, read = await _attempt(harness, order_id)
    other, other_read = await _attempt(harness, order_id)
    assert read is not None and other_read is not None
    others_wait = utcnow() + timedelta(seconds=60)

    raised = await _search_missing_while(
        harness,
        monkeypatch,
        ours,
        read,
        order_id,
        lambda: other.search_again_at(order_id, others_wait, other_read),
    )

    assert raised.retry_after == pytest.approx(RACED_RUN_DELAY.total_seconds(), abs=0.5)
    assert await settling(harness) == [order_id]  # the other run's wait, stored once
    assert await intents(harness) == 1


async def test_a_run_past_the_wait_that_another_run_renewed_first_does_not_create(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    order_id = new_won_deal(harness)
    await _attempt(harness, order_id)  # its create's outcome is unknown
    waiting, read = await _attempt(harness, order_id)
    assert read is not None
    waited_for = utcnow() - timedelta(seconds=1)  # the wait is over
    assert await waiting.search_again_at(order_id, waited_for, read)
    ours, our_read = await _attempt(harness, order_id)
    other, _ = await _attempt(harness, order_id)
    assert our_read is not None and our_read.settles_at is not None

    async def miss(*args: object, **kwargs: object) -> None:
        assert await other.create_after_wait(order_id, waited_for)  # it creates, not this run
        return None

    monkeypatch.setattr(earlier_create, "find_document_by_reference", miss)
    context = await installation_context(harness.services, harness.installation_id)
    found = await find_earlier_document(
        context.fortnox, ours, our_read, order_id, settle_seconds=60
    )
    assert found is None  # this run's create renews the intent as it is sent: it is not sent
    with pytest.raises(EarlierCreateMayLand) as renewed_first:
        await intent_recorded(ours, order_id)
    raised = renewed_first.value

    assert raised.retry_after == pytest.approx(RACED_RUN_DELAY.total_seconds(), abs=0.5)
    assert await settling(harness) == []  # the other run renewed the intent for its create
    assert await intents(harness) == 1


async def test_a_create_whose_lease_ran_out_on_its_way_is_not_sent(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker stalled past the job's lease before the deal's create got its place: the
    create is not sent, and no intent is recorded for it (it is checked first), so whoever runs
    the deal next creates it at once."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    write = won_deals._write

    async def write_after_a_stall(*args: Any) -> object:
        monkeypatch.setattr(JobStore, "seconds_held", lambda store, job: 0.0)
        return await write(*args)

    monkeypatch.setattr(won_deals, "_write", write_after_a_stall)
    harness.services.fortnox_calls.clear()
    job_id = await queue(harness, "upsales.order", order_id)

    job = await run_due(harness, job_id)

    assert job.status == JobStatus.QUEUED  # given back, due now, once its handler has ended
    assert fortnox_calls(harness) == {}
    assert invoices_of(harness, order_id) == []
    assert await intents(harness) == 1  # the first deal's alone


async def test_a_run_whose_deal_got_an_intent_since_its_read_does_not_send_its_create(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs of a deal overlap (a stalled worker): the other records its intent (its create
    sent) after this run read none. This run's create, once it has its place, is not sent; it
    reads the intent again a moment later, and then searches as after any earlier create."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    write = won_deals._write

    async def the_other_run_sends_first(*args: Any) -> object:
        other = WonDealLinks(harness.services.session_factory, harness.installation_id)
        assert (
            await other.read(order_id, None, [], intent=FortnoxType.INVOICE)
        ).sent_before is None
        assert await other.record_intent_as_sent()
        return await write(*args)

    monkeypatch.setattr(won_deals, "_write", the_other_run_sends_first)
    harness.services.fortnox_calls.clear()

    with pytest.raises(EarlierCreateMayLand) as raced:
        await sync_won_order(harness.services, harness.installation_id, order_id)

    assert raced.value.retry_after is not None and raced.value.retry_after <= 1.0
    assert fortnox_calls(harness) == {}
    assert invoices_of(harness, order_id) == []
    assert await intents(harness) == 2  # the first deal's, and the other run's: kept
    monkeypatch.setattr(won_deals, "_write", write)
    job_id = await queue(harness, "upsales.order", order_id)
    waiting = await run_due(harness, job_id)
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert fortnox_calls(harness) == {SEARCH: 1}


async def test_an_intent_a_customer_note_gave_the_deal_goes_when_its_create_is_refused(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deal whose company has no customer yet notes the customer's create, which gives the
    deal its intent. Its document's create is then refused (nothing made): the intent is this
    run's own, so it goes, and the next run creates the document at once."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    refusal = FortnoxValidationError("Kunden finns inte", status=400, fortnox_code=2000433)

    with monkeypatch.context() as patch:
        patch.setattr(documents, "create_document", answered_with(refusal))
        with pytest.raises(FortnoxValidationError):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await link_of(harness, LinkEntity.COMPANY, harness.demo.account_ids[0]) is not None
    assert await intents(harness) == 0

    await created_with_its_create_alone(harness, order_id)


async def test_a_create_after_the_wait_stopped_before_it_was_sent_is_made_at_once(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run after the wait (its search missed again) was stopped (its worker shut down)
    while its create waited for its place: nothing was sent, so the deal's next run creates it
    at once, without a search for it nor another wait, as after a first attempt's stop."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    held = hold_creates(harness, monkeypatch, count=1)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    await held.pop().cancel()  # Fortnox stopped this one with its client: it never lands
    waiting = await run_due(harness, job_id)
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    await earlier_creates_settle(harness)
    write = won_deals._write

    async def stopped_while_waiting_for_its_place(*args: Any) -> object:
        raise asyncio.CancelledError

    monkeypatch.setattr(won_deals, "_write", stopped_while_waiting_for_its_place)
    with pytest.raises(asyncio.CancelledError):
        await sync_won_order(harness.services, harness.installation_id, order_id)
    assert invoices_of(harness, order_id) == []
    monkeypatch.setattr(won_deals, "_write", write)
    harness.services.fortnox_calls.clear()

    done = await sync_won_order(harness.services, harness.installation_id, order_id)

    assert done.outcome == "created", done
    assert fortnox_calls(harness).get(SEARCH, 0) <= 1  # at most once more, and no wait
    assert len(invoices_of(harness, order_id)) == 1
