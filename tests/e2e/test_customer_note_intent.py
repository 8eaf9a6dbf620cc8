"""A deal whose company has no Fortnox customer yet. Its customer create is noted, for the
company's deals to wait for, once it holds its place; the note gives the deal its intent (the
row that holds it). Once the customer is created and linked, nothing of the deal's document has
been sent, so a worker stopped (or killed) while either create waits for its place leaves
nothing to wait for: the retry creates at once, as on the path without a customer create."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import link_of, queue, win
from tests.e2e.won_deal_support import (
    CREATE,
    TRIES_WHEN_UNREACHABLE,
    creates_never_connect,
    fortnox_calls,
    hold_creates,
    intents,
    invoices_of,
    run_due,
)
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.outbound import fortnox_documents as documents
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


class Stopped(BaseException):
    """The worker stops (a cancellation) or its process dies: no handler after it runs."""


async def _stopped_then_run_again(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, waiting: tuple[object, str]
) -> SyncJob:
    """Win the demo's opportunity; its run stops while the create ``waiting`` names (an owner
    and the name of its create) waits for its place. No intent is left; the deal's job is then
    run again, its Fortnox calls counted from there."""
    order_id = harness.demo.opportunity_id
    win(harness, order_id)

    async def stopped(*args: object) -> None:  # still waiting for its place
        raise Stopped

    with monkeypatch.context() as patch:
        patch.setattr(*waiting, stopped)
        with pytest.raises(Stopped):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 0
    harness.services.fortnox_calls.clear()
    job = await run_due(harness, await queue(harness, "upsales.order", order_id))
    assert job.status == JobStatus.DONE, job.last_error
    assert len(invoices_of(harness, order_id)) == 1
    return job


async def test_a_deal_stopped_while_its_create_waits_after_its_new_customer_creates_at_once(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stopped_then_run_again(linked, monkeypatch, (documents, "create_document"))

    customer = await link_of(linked, LinkEntity.COMPANY, linked.demo.account_ids[0])
    assert customer is not None
    assert fortnox_calls(linked) == {CREATE: 1}


async def test_the_documents_create_sent_after_its_new_customer_keeps_an_intent(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side: the document's create, once sent, leaves an intent (its answer lost)."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    held = hold_creates(harness, monkeypatch, count=1)

    with pytest.raises(FortnoxUnavailable):
        await sync_won_order(harness.services, harness.installation_id, order_id)

    assert len(held) == 1
    assert await intents(harness) == 1


async def test_a_deal_stopped_while_its_new_customers_create_waits_creates_both_at_once(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was sent, and nothing noted for the company's deals to wait for, so the retry
    makes the customer and the document at once."""
    await _stopped_then_run_again(linked, monkeypatch, (FortnoxClient, "create_customer"))

    calls = fortnox_calls(linked)
    assert (calls.get("POST /customers"), calls.get(CREATE)) == (1, 1)


async def test_a_new_customers_create_that_never_reached_fortnox_leaves_nothing_to_wait_for(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every try of the customer's create failed to connect: its note goes with the failure,
    so the retry searches for the customer as any first deal of a company does, and makes it
    and the document at once, with no wait for the create that never left."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    with monkeypatch.context() as patch:
        tried = creates_never_connect(harness, patch, of="customers")
        with pytest.raises(FortnoxUnavailable):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert len(tried) == TRIES_WHEN_UNREACHABLE
    assert await intents(harness) == 0

    harness.services.fortnox_calls.clear()
    job = await run_due(harness, await queue(harness, "upsales.order", order_id))

    assert job.status == JobStatus.DONE, job.last_error
    assert fortnox_calls(harness) == {"GET /customers": 1, "POST /customers": 1, CREATE: 1}
    assert len(invoices_of(harness, order_id)) == 1
