"""A won deal of a Fortnox offer whose ``createorder`` ended without an answer: its retry does
not turn the offer again while that one may still land (the offer names its order only once
Fortnox has committed it); it waits as a retried create does, reads the offer again, and links
the order it names, or (none named) turns the offer then, once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import fortnox_list, link_of, queue, sync_order, win
from tests.e2e.test_inbound_documents import offer_module
from tests.e2e.test_won_offer import opportunity_of_an_offer
from tests.e2e.won_deal_support import (
    TRIES_WHEN_UNREACHABLE,
    HeldCreate,
    creates_never_connect,
    earlier_creates_settle,
    fortnox_calls,
    hold_creates,
    intents,
    landed_then_run,
    run_due,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

__all__ = ["offer_module"]

READ_OFFER = "GET /offers/{DocumentNumber}"
CREATE_ORDER = "PUT /offers/{DocumentNumber}/createorder"


def _createorder(offer_number: int) -> str:
    return f"offers/{offer_number}/createorder"


async def _the_one_order_linked(harness: SyncHarness, opportunity_id: int) -> dict[str, Any]:
    """Fortnox's only order, linked to the deal."""
    (order,) = fortnox_list(harness, "orders")
    link = await link_of(harness, LinkEntity.ORDER, opportunity_id)
    assert link is not None and link.fortnox_id == str(order["DocumentNumber"])
    return order


async def _dropped_then_waiting(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, int, list[HeldCreate]]:
    """The deal won; its createorder sent and its connection dropped before Fortnox committed
    it; the retry read the offer (no order named yet) and waits. The offer's number, the deal's
    id, its job's id and the held createorder."""
    offer_number, opportunity_id = await opportunity_of_an_offer(harness)
    win(harness, opportunity_id)
    held = hold_creates(harness, monkeypatch, count=1, of=_createorder(offer_number), method="PUT")
    with pytest.raises(FortnoxUnavailable):
        await sync_won_order(harness.services, harness.installation_id, opportunity_id)
    assert len(held) == 1
    harness.services.fortnox_calls.clear()
    job_id = await queue(harness, "upsales.order", opportunity_id)

    waiting = await run_due(harness, job_id)

    assert waiting.status == JobStatus.QUEUED, (
        "the offer was turned again though its order may land"
    )
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert fortnox_list(harness, "orders") == []
    assert fortnox_calls(harness) == {READ_OFFER: 1}
    return offer_number, opportunity_id, job_id, held


async def test_a_createorder_fortnox_commits_after_the_retry_read_the_offer_is_linked(
    offer_module: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = offer_module
    offer_number, opportunity_id, job_id, held = await _dropped_then_waiting(harness, monkeypatch)
    harness.services.fortnox_calls.clear()

    job = await landed_then_run(harness, held, job_id)  # the order lands while the retry waits

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    order = await _the_one_order_linked(harness, opportunity_id)
    offer = harness.fortnox_entity("offers", str(offer_number))
    assert offer is not None and str(offer["OrderReference"]) == str(order["DocumentNumber"])
    assert fortnox_calls(harness) == {READ_OFFER: 1, "GET /orders/{DocumentNumber}": 1}


async def test_a_createorder_that_never_landed_is_sent_again_once_after_the_wait(
    offer_module: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = offer_module
    _, opportunity_id, job_id, held = await _dropped_then_waiting(harness, monkeypatch)
    await held.pop().cancel()  # Fortnox stopped it with its client: it never lands
    harness.services.fortnox_calls.clear()
    rerun = await run_due(harness, job_id)  # still within the wait: nothing read, nothing sent
    assert rerun.status == JobStatus.QUEUED and fortnox_calls(harness) == {}
    await earlier_creates_settle(harness)
    harness.services.fortnox_calls.clear()

    job = await run_due(harness, job_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "made_from_offer"
    await _the_one_order_linked(harness, opportunity_id)
    assert fortnox_calls(harness) == {READ_OFFER: 1, CREATE_ORDER: 1}
    again = await sync_order(harness, opportunity_id)
    assert again.status == JobStatus.DONE, again.last_error
    assert len(fortnox_list(harness, "orders")) == 1


async def test_a_createorder_that_never_reached_fortnox_is_sent_again_without_a_wait(
    offer_module: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every try failed to connect: nothing of it can land, so its intent is withdrawn."""
    harness = offer_module
    offer_number, opportunity_id = await opportunity_of_an_offer(harness)
    win(harness, opportunity_id)
    with monkeypatch.context() as patch:
        tried = creates_never_connect(harness, patch, of=_createorder(offer_number), method="PUT")
        with pytest.raises(FortnoxUnavailable):
            await sync_won_order(harness.services, harness.installation_id, opportunity_id)
    assert len(tried) == TRIES_WHEN_UNREACHABLE and fortnox_list(harness, "orders") == []
    assert await intents(harness) == 0
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "made_from_offer"
    assert len(fortnox_list(harness, "orders")) == 1
    assert fortnox_calls(harness) == {READ_OFFER: 1, CREATE_ORDER: 1}


async def test_a_won_offer_deal_costs_a_read_of_its_offer_and_its_createorder(
    offer_module: SyncHarness,
) -> None:
    """Steady state: no search and no wait, whatever is recorded before the createorder."""
    harness = offer_module
    _, opportunity_id = await opportunity_of_an_offer(harness)
    win(harness, opportunity_id)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "made_from_offer"
    assert fortnox_calls(harness) == {READ_OFFER: 1, CREATE_ORDER: 1}
    assert len(fortnox_list(harness, "orders")) == 1


async def test_a_createorder_refused_as_the_late_one_lands_links_the_order_that_landed(
    offer_module: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first createorder commits past the wait, just before the retry's arrives: the
    sandbox refuses a second (facts.SECOND_ORDER_OF_OFFER_REFUSED), and the offer, read again,
    names the order that landed."""
    harness = offer_module
    offer_number, opportunity_id, job_id, held = await _dropped_then_waiting(harness, monkeypatch)
    await earlier_creates_settle(harness)
    http = harness.services.http
    send = http.request

    async def first_lands_meanwhile(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == "PUT" and str(url).endswith(f"/{_createorder(offer_number)}") and held:
            await held.pop().land()
        return await send(method, url, **kwargs)

    monkeypatch.setattr(http, "request", first_lands_meanwhile)
    harness.services.fortnox_calls.clear()

    job = await run_due(harness, job_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    await _the_one_order_linked(harness, opportunity_id)
    assert fortnox_calls(harness) == {
        READ_OFFER: 2,
        CREATE_ORDER: 1,
        "GET /orders/{DocumentNumber}": 1,
    }
