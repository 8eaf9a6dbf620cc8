"""An opportunity imported from a Fortnox offer that the sales rep wins in Upsales: Fortnox turns
the offer into its order, once, and the deal is linked to it."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import fortnox_list, link_of, sync_order, win
from tests.e2e.test_inbound_documents import bookkeepers_offer, offer_module, orders_described
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

__all__ = ["offer_module"]


async def opportunity_of_an_offer(harness: SyncHarness) -> tuple[int, int]:
    """The bookkeeper's offer, synced into an Upsales opportunity: the offer's number and the
    opportunity's id."""
    offer = await bookkeepers_offer(harness)
    await EventFeed(harness).sync()
    (opportunity,) = orders_described(harness, f"Fortnox-offert {offer.DocumentNumber}")
    assert offer.DocumentNumber is not None
    return offer.DocumentNumber, int(opportunity["id"])


async def won_from_offer(harness: SyncHarness) -> tuple[int, int, SyncJob]:
    """The opportunity of the bookkeeper's offer, won by the rep and its job run: the offer's
    number, the opportunity's id and the job (done)."""
    offer_number, opportunity_id = await opportunity_of_an_offer(harness)
    win(harness, opportunity_id)
    job = await sync_order(harness, opportunity_id)
    assert job.status == JobStatus.DONE, job.last_error
    return offer_number, opportunity_id, job


def _writes(harness: SyncHarness, before: dict[str, int]) -> dict[str, int]:
    calls = harness.services.fortnox_calls
    return {k: v - before.get(k, 0) for k, v in calls.items() if v - before.get(k, 0)}


async def test_an_opportunity_from_an_offer_won_in_upsales_becomes_the_offers_order(
    offer_module: SyncHarness,
) -> None:
    harness = offer_module
    offer_number, opportunity_id, job = await won_from_offer(harness)

    assert (job.result or {})["outcome"] == "made_from_offer"
    (order,) = fortnox_list(harness, "orders")
    offer = harness.fortnox_entity("offers", str(offer_number))
    assert offer is not None and str(offer["OrderReference"]) == str(order["DocumentNumber"])
    assert order["OrderRows"][0]["ArticleNumber"] == "KONS-1"
    link = await link_of(harness, LinkEntity.ORDER, opportunity_id)
    assert link is not None and link.fortnox_id == str(order["DocumentNumber"])

    await EventFeed(harness).sync()  # the order's and the offer's events: echoes
    assert len(fortnox_list(harness, "orders")) == 1
    assert orders_described(harness, f"Fortnox-order {order['DocumentNumber']}") == []
    won = harness.upsales_entity("orders", opportunity_id)
    assert won is not None and won["probability"] == 100
    again = await sync_order(harness, opportunity_id)  # the deal's next run: its order, as is
    assert again.status == JobStatus.DONE, again.last_error
    assert len(fortnox_list(harness, "orders")) == 1


async def test_an_offer_turned_into_an_order_already_is_linked_not_turned_again(
    offer_module: SyncHarness,
) -> None:
    """The bookkeeper turned the offer into an order (or an earlier attempt did, and ended
    before its link was saved); the rep wins the deal before that order's event is synced."""
    harness = offer_module
    offer_number, opportunity_id = await opportunity_of_an_offer(harness)
    context = await context_of(harness)
    made = await context.fortnox.create_order_from_offer(offer_number)
    before = dict(harness.services.fortnox_calls)

    win(harness, opportunity_id)
    job = await sync_order(harness, opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    assert (job.result or {})["fortnox_order"] == str(made.DocumentNumber)
    assert len(fortnox_list(harness, "orders")) == 1
    assert _writes(harness, before) == {
        "GET /offers/{DocumentNumber}": 1,
        "GET /orders/{DocumentNumber}": 1,
    }
