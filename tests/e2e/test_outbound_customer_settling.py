"""A won deal whose company's customer create may have landed without its answer: the deal's
intent is kept, and the next run waits for that create (with the document's search) before it
looks for the customer, so the company gets one customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, link_of, queue, sync_order, win
from tests.e2e.won_deal_support import (
    CREATE,
    SEARCH,
    HeldCreate,
    earlier_creates_settle,
    fortnox_calls,
    hold_creates,
    intents,
    invoices_of,
    new_won_deal,
    run_due,
    sent_fields,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxValidationError
from upsales_fortnox.links.repository.customer_create_notes import CustomerCreate
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.sync.outbound import won_deals
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

CUSTOMERS = "customers"


def customers_named(harness: SyncHarness, name: str) -> list[str]:
    numbers = []
    for number in range(1, 10):
        customer = harness.fortnox_entity(CUSTOMERS, str(number))
        if customer is not None and customer.get("Name") == name:
            numbers.append(str(number))
    return numbers


def made_the_one_customer(harness: SyncHarness, done: SyncJob, company: dict[str, Any]) -> None:
    """The job ended having made the company's only customer."""
    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "created"
    assert customers_named(harness, company["name"]) == ["1"]


async def test_a_customer_create_that_lands_late_is_found_not_made_twice(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    company = win(harness, order_id)["client"]
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)

    await run_due(harness, job_id)  # the customer's create is held: not committed yet
    waiting = await run_due(harness, job_id)  # the retry waits for it

    assert waiting.status == JobStatus.QUEUED
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert len(held) == 1 and await intents(harness) == 1
    await held.pop().land()
    await earlier_creates_settle(harness)
    harness.services.fortnox_calls.clear()
    job = await run_due(harness, job_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["customer"] == "matched"
    assert customers_named(harness, company["name"]) == ["1"]
    customer_link = await link_of(harness, LinkEntity.COMPANY, company["id"])
    assert customer_link is not None and customer_link.fortnox_id == "1"
    assert fortnox_calls(harness)[CREATE] == 1 and fortnox_calls(harness)[SEARCH] == 1


@pytest.mark.parametrize("failure", ["customer refused", "deal refused after its customer"])
async def test_a_run_whose_creates_all_ended_leaves_no_wait(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """The customer's create was refused (it made nothing), or made and linked before the deal
    was refused: nothing can land later, so the next run neither searches nor waits."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = win(harness, order_id)["client"]

    async def refuse_customer(*args: object) -> None:
        raise FortnoxValidationError("Ogiltigt kundnummer", status=400)

    async def refuse_deal(*args: object, **kwargs: object) -> None:
        raise PermanentError("a product has no article", code="product_not_in_fortnox")

    with monkeypatch.context() as patch:
        if failure == "customer refused":
            patch.setattr(FortnoxClient, "create_customer", refuse_customer)
        else:
            patch.setattr(won_deals, "resolve_article_numbers", refuse_deal)
        refused = await sync_order(harness, order_id)
    assert refused.status == JobStatus.DEAD
    assert await intents(harness) == 0
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert (job.result or {})["outcome"] == "created"
    assert SEARCH not in fortnox_calls(harness)
    assert customers_named(harness, company["name"]) == ["1"]


async def customer_creates_noted(harness: SyncHarness) -> list[tuple[int, int | None]]:
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(DocumentIntent.upsales_order_id, DocumentIntent.customer_company_id).where(
                DocumentIntent.customer_sent_at.is_not(None)
            )
        )
        return [(order, company) for order, company in rows]


async def test_another_deal_of_the_company_waits_for_its_customer_create_too(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deals of a new company: the first one's customer create is on its way when the
    second runs; the second's search misses it, so it waits and searches again instead of
    making a customer of its own."""
    harness = linked
    first = harness.demo.opportunity_id
    company = win(harness, first)["client"]
    noted_when_sent: list[list[tuple[int, int | None]]] = []
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request

    async def noted_then_sent(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == "POST" and str(url).endswith(f"/{CUSTOMERS}"):
            noted_when_sent.append(await customer_creates_noted(harness))
        return await send(method, url, **kwargs)

    monkeypatch.setattr(http, "request", noted_then_sent)
    first_job = await queue(harness, "upsales.order", first)
    await run_due(harness, first_job)  # its customer's create is held
    assert noted_when_sent == [[(first, company["id"])]]  # committed before it was sent
    second = new_won_deal(harness)
    second_job = await queue(harness, "upsales.order", second)

    waiting = await run_due(harness, second_job)

    assert waiting.status == JobStatus.QUEUED and waiting.attempts == 0  # a wait is no attempt
    assert (waiting.last_error or "").startswith("fortnox_customer_settling: another deal")
    shown = await answer_app_status_order(
        harness.services, harness.installation_id, {"data": {"obj": {"id": second}}}
    )
    assert shown.body["message"] == say("status.confirming_company_customer", "sv")
    assert customers_named(harness, company["name"]) == []
    await held.pop().land()
    await earlier_creates_settle(harness)
    await run_due(harness, first_job)
    done = await run_due(harness, second_job)

    assert done.status == JobStatus.DONE, done.last_error
    # run side by side, either deal may find the landed customer first; the other links it
    first_done = await job(harness, first_job)
    made_out = sorted((run.result or {})["customer"] for run in (first_done, done))
    assert made_out == ["linked", "matched"]
    assert customers_named(harness, company["name"]) == ["1"]
    assert len(invoices_of(harness, first)) == len(invoices_of(harness, second)) == 1


async def test_a_deal_whose_own_customer_create_never_landed_makes_it_after_one_wait(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own note is not another deal's: after its wait it makes the customer at once."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = win(harness, order_id)["client"]
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    await run_due(harness, job_id)  # waits for the dropped create
    await held.pop().cancel()  # it never lands
    await earlier_creates_settle(harness)

    job = await run_due(harness, job_id)

    made_the_one_customer(harness, job, company)


async def _second_deal_waiting(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[HeldCreate], dict[str, Any], int]:
    """The company's first deal's customer create is on its way (held); a second deal of the
    company has run once and waits for it. The held create, the company and the second job."""
    first = harness.demo.opportunity_id
    company = win(harness, first)["client"]
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    await run_due(harness, await queue(harness, "upsales.order", first))
    second_job = await queue(harness, "upsales.order", new_won_deal(harness))
    waiting = await run_due(harness, second_job)
    assert (waiting.last_error or "").startswith("fortnox_customer_settling: ")
    return held, company, second_job


async def _run_only(harness: SyncHarness, job_id: int) -> SyncJob:
    """Make this job alone due, and run it."""
    due_now = update(SyncJob).where(SyncJob.id == job_id).values(run_after=utcnow())
    async with harness.services.session_factory() as session:
        await session.execute(due_now)
        await session.commit()
    await harness.run_jobs()
    return await job(harness, job_id)


async def test_a_deal_run_again_before_its_wait_ends_still_waits(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    _, company, second_job = await _second_deal_waiting(harness, monkeypatch)

    again = await _run_only(harness, second_job)  # a retry asked for early

    assert (again.last_error or "").startswith("fortnox_customer_settling: ")
    assert customers_named(harness, company["name"]) == []


async def test_a_deal_makes_the_customer_once_the_other_deals_create_cannot_land(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    held, company, second_job = await _second_deal_waiting(harness, monkeypatch)
    await held.pop().cancel()  # it never lands
    await earlier_creates_settle(harness)

    done = await _run_only(harness, second_job)

    made_the_one_customer(harness, done, company)


async def test_a_deal_whose_wait_another_run_changed_first_reads_it_again_soon(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first deal sends a new create between the second deal's read of its note and the
    second deal's storing of the wait: the second reads the note again a second later."""
    harness = linked
    first = harness.demo.opportunity_id
    company = win(harness, first)["client"]
    hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    await run_due(harness, await queue(harness, "upsales.order", first))
    async with harness.services.session_factory() as session:
        # as before the first deal's retry, which is left for later (retries here are due at
        # once, so it may have run already: its miss stores a wait on the note)
        await session.execute(
            update(DocumentIntent).values(settles_at=None, customer_settles_at=None)
        )
        later = utcnow() + timedelta(hours=1)
        await session.execute(
            update(SyncJob).where(SyncJob.status == JobStatus.QUEUED).values(run_after=later)
        )
        await session.commit()
    read_notes = WonDealLinks.customer_creates_to_wait_for

    async def read_then_renewed(
        links: WonDealLinks, order_id: int, company_id: int
    ) -> list[CustomerCreate]:
        notes = await read_notes(links, order_id, company_id)
        async with harness.services.session_factory() as session:  # its own wait has passed
            await session.execute(
                update(DocumentIntent).values(customer_settles_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        # the first deal sends again
        assert await links.customer_create_sent(first, company_id, sent_fields(harness, company_id))
        return notes

    monkeypatch.setattr(WonDealLinks, "customer_creates_to_wait_for", read_then_renewed)
    second_job = await queue(harness, "upsales.order", new_won_deal(harness))

    waiting = await _run_only(harness, second_job)

    assert (waiting.last_error or "").startswith("fortnox_customer_settling: ")
    assert waiting.run_after is not None
    assert (waiting.run_after - utcnow()).total_seconds() < 5  # not the whole settle time
    assert customers_named(harness, company["name"]) == []
