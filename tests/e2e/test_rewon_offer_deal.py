"""An opportunity from a Fortnox offer, won in Upsales (its order made of the offer), whose
order the bookkeeper then cancels: the deal goes to lost; won again, it must get a live
document, not the cancelled order back (which would also send it to lost again)."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, change_event, context_of
from tests.e2e.outbound_support import fortnox_list, sync_order, win
from tests.e2e.test_won_offer import offer_module, won_from_offer
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity

__all__ = ["offer_module"]


async def test_a_deal_won_again_after_its_offers_order_was_cancelled_gets_a_live_document(
    offer_module: SyncHarness,
) -> None:
    harness = offer_module
    _, opportunity_id, first = await won_from_offer(harness)
    assert (first.result or {})["outcome"] == "made_from_offer"
    made = int((first.result or {})["fortnox_order"])
    await EventFeed(harness).sync()

    context = await context_of(harness)
    await context.fortnox.cancel_order(made)
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", opportunity_id)
    assert lost is not None and lost["probability"] == 0

    win(harness, opportunity_id)  # the customer signs after all
    again = await sync_order(harness, opportunity_id)
    assert again.status == JobStatus.DONE, again.last_error
    live = [o for o in fortnox_list(harness, "orders") if not o.get("Cancelled")]
    assert (again.result or {}).get("fortnox_order") != str(made), again.result
    link = await _order_link(harness, opportunity_id)
    assert link is not None and not (link.fingerprint or "").startswith("cancelled:")
    assert [str(o["DocumentNumber"]) for o in live] == [link.fortnox_id]

    # the cancelled order's late event leaves the re-won deal won
    feed = EventFeed(harness)
    await feed.enqueue([change_event(harness, "orders", str(made), offset="900")])
    await harness.run_jobs()
    won = harness.upsales_entity("orders", opportunity_id)
    assert won is not None and won["probability"] == 100


async def _order_link(harness: SyncHarness, order_id: int) -> LinkView | None:
    async with harness.services.session_factory() as session:
        store = LinkStore(session, harness.installation_id)
        return await store.by_upsales(LinkEntity.ORDER, order_id, FortnoxType.ORDER)
