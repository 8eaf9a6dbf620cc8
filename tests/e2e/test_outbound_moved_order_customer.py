"""A deal already sent to Fortnox, then moved to a company that has no Fortnox customer yet:
its edit creates that customer. When the create's answer is lost, the deal's retry waits for
it as for another deal's (it has no document search to wait with), so the company gets one
customer, and the document is made out to it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, link_of, queue, sync_order, win
from tests.e2e.test_outbound_customer_settling import CUSTOMERS, customers_named
from tests.e2e.won_deal_support import (
    CREATE,
    SEARCH,
    earlier_creates_settle,
    fortnox_calls,
    hold_creates,
    invoices_of,
    run_due,
)
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxValidationError
from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


async def _sent_then_moved(harness: SyncHarness, *, intent_kept: bool) -> dict[str, Any]:
    """The demo deal sent (its company's customer made), then moved to the demo's second
    company; without ``intent_kept``, as a deal linked with no intent (by the initial sync)."""
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE and (sent.result or {})["outcome"] == "created"
    if not intent_kept:
        async with harness.services.session_factory() as session:
            await session.execute(delete(DocumentIntent))
            await session.commit()
    new_company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    assert customers_named(harness, new_company["name"]) == []
    edit(harness, "orders", order_id, {"client": {"id": new_company["id"]}})
    return new_company


async def _noted_creates(harness: SyncHarness) -> list[tuple[int, int | None]]:
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(DocumentIntent.upsales_order_id, DocumentIntent.customer_company_id)
        )
        return [(order, company) for order, company in rows]


@pytest.mark.parametrize("intent_kept", [True, False], ids=["with_intent", "linked_by_import"])
async def test_a_moved_deals_customer_create_that_lands_late_is_found_not_made_twice(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, intent_kept: bool
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    company = await _sent_then_moved(harness, intent_kept=intent_kept)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)

    await run_due(harness, job_id)  # the customer's create is held: not committed yet
    assert await _noted_creates(harness) == [(order_id, company["id"])]
    waiting = await run_due(harness, job_id)  # the retry's search misses it: it waits

    assert waiting.status == JobStatus.QUEUED and waiting.attempts == 1  # a wait is no attempt
    assert (waiting.last_error or "").startswith(
        "fortnox_customer_create_settling: an earlier attempt of this deal"
    )
    shown = await answer_app_status_order(
        harness.services, harness.installation_id, {"data": {"obj": {"id": order_id}}}
    )
    assert shown.body["message"] == say("status.confirming_earlier_customer", "sv")
    assert len(held) == 1 and customers_named(harness, company["name"]) == []
    await held.pop().land()
    await earlier_creates_settle(harness)
    harness.services.fortnox_calls.clear()

    done = await run_due(harness, job_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["outcome"] == "updated"
    assert (done.result or {})["customer"] == "matched"
    assert customers_named(harness, company["name"]) == ["2"]
    customer_link = await link_of(harness, LinkEntity.COMPANY, company["id"])
    assert customer_link is not None and customer_link.fortnox_id == "2"
    [invoice] = invoices_of(harness, order_id)
    assert invoice["CustomerNumber"] == "2"
    assert "POST /customers" not in fortnox_calls(harness)  # the late one was found
    assert CREATE not in fortnox_calls(harness) and SEARCH not in fortnox_calls(harness)


async def test_a_moved_deals_refused_customer_create_leaves_no_wait(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fortnox refused the customer (it made nothing): the deal's next run creates it without
    waiting, and the note is gone for the company's other deals too."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = await _sent_then_moved(harness, intent_kept=True)

    async def refuse_customer(*args: object) -> None:
        raise FortnoxValidationError("Ogiltigt organisationsnummer", status=400)

    with monkeypatch.context() as patch:
        patch.setattr(FortnoxClient, "create_customer", refuse_customer)
        refused = await sync_order(harness, order_id)
    assert refused.status == JobStatus.DEAD
    assert await _noted_creates(harness) == [(order_id, None)]

    done = await sync_order(harness, order_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "created"
    assert customers_named(harness, company["name"]) == ["2"]
    [invoice] = invoices_of(harness, order_id)
    assert invoice["CustomerNumber"] == "2"
