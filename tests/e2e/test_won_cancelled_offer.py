"""Opportunities from Fortnox offers that the sales rep wins in Upsales: one whose offer the
bookkeeper cancels just then (no order can be made of it, so the cancellation moves the deal to
lost like any other; won again, it gets an order of its own), and one whose offer has a row
without an article."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import opportunity_of_an_offer_with_freight
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import fortnox_list, sync_order, win
from tests.e2e.test_won_offer import offer_module, opportunity_of_an_offer
from upsales_fortnox.core.texts import say
from upsales_fortnox.sync.order_answers import answer_before_order_save, order_status
from upsales_fortnox.vocabulary import JobStatus

__all__ = ["offer_module"]


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    async with harness.services.session_factory() as session:
        return await order_status(session, harness.installation_id, order_id)


async def test_a_deal_won_as_its_offer_is_cancelled_goes_to_lost_and_can_be_won_again(
    offer_module: SyncHarness,
) -> None:
    harness = offer_module
    offer_number, opportunity_id = await opportunity_of_an_offer(harness)
    context = await context_of(harness)
    await context.fortnox.cancel_offer(offer_number)

    win(harness, opportunity_id)  # before the offer's cancellation is synced
    refused = await sync_order(harness, opportunity_id)
    assert refused.status == JobStatus.DEAD
    assert fortnox_list(harness, "orders") == []
    failed = await _status(harness, opportunity_id)
    assert failed["status"] == "failed"
    assert failed["message"] == say("status.failed.offer_cancelled")

    await EventFeed(harness).sync()  # the offer's cancellation
    lost = harness.upsales_entity("orders", opportunity_id)
    assert lost is not None and lost["probability"] == 0
    status = await _status(harness, opportunity_id)
    assert status["status"] == "cancelled"
    assert status["message"] == say(
        "status.cancelled", document=say("document.offer"), number=str(offer_number)
    )

    win(harness, opportunity_id)  # the customer signs after all
    again = await sync_order(harness, opportunity_id)
    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "created"
    (order,) = fortnox_list(harness, "orders")
    assert (again.result or {})["fortnox_order"] == str(order["DocumentNumber"])
    assert (await _status(harness, opportunity_id))["status"] == "sent"


async def test_an_opportunity_of_an_offer_with_a_free_text_row_may_be_won(
    offer_module: SyncHarness,
) -> None:
    """The offer's freight row has no article (its opportunity row carries the product for rows
    without one): Upsales lets the rep save the deal as won, since the order is the one Fortnox
    makes of the offer, rows and all."""
    harness = offer_module
    opportunity = await opportunity_of_an_offer_with_freight(harness)
    hook = {"type": "before_order_save", "data": {"obj": {**opportunity, "probability": 100}}}

    answer = await answer_before_order_save(harness.services, harness.installation_id, hook)

    assert (answer.status_code, answer.body) == (200, {"status": "ok"})
    win(harness, int(opportunity["id"]))
    job = await sync_order(harness, int(opportunity["id"]))
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "made_from_offer"
    (order,) = fortnox_list(harness, "orders")
    assert [row.get("Description") for row in order["OrderRows"]][-1] == "Frakt"
