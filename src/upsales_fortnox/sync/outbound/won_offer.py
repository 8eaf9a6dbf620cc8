"""A won deal whose opportunity came from a Fortnox offer: its document is the order Fortnox
makes of that offer (``PUT /offers/{n}/createorder``), as a bookkeeper turning the offer into an
order would, whatever the sync type (the offer module syncs orders).

The order is made in Fortnox of Fortnox's offer, so Fortnox stays its source, as for any
document made there: it is linked to the deal as Fortnox has it, and Upsales changes are not
sent to it. An offer turned into an order already (by the bookkeeper, or by an attempt that
ended before its link was saved: the offer's ``OrderReference`` names it) is not turned again:
that order is linked.

The createorder is a create like any won deal's (:mod:`.earlier_create`): the deal's intent is
recorded as it is sent, and after an attempt whose createorder may still land (its answer
lost) the offer is read as the search for it is made: one that names no order yet is read
again once that createorder can no longer land, and only then turned. Whether Fortnox refuses a
second createorder of one offer is ``facts.SECOND_ORDER_OF_OFFER_REFUSED``: not relied on, but
a refused createorder has the offer read again, and the order it names by then (one that landed
later than the wait) is linked.
"""

from __future__ import annotations

from functools import partial

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound, FortnoxValidationError
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.links.repository.deal_link_read import DealLinks
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.sync.outbound.earlier_create import intent_recorded, searched_once_settled
from upsales_fortnox.sync.outbound.fortnox_documents import document_missing
from upsales_fortnox.sync.outbound.sent_creates import create_on_its_way
from upsales_fortnox.vocabulary import FortnoxType


class OfferCancelled(PermanentError):
    code = "fortnox_offer_cancelled"


async def order_of_offer(
    fortnox: FortnoxPort,
    deal_links: WonDealLinks,
    order_id: int,
    links: DealLinks,
    settle_seconds: float,
) -> tuple[Order, bool]:
    """The order of the deal's offer (its link, ``links.order``), and whether it was made now."""
    assert links.order is not None
    offer_number = links.order.fortnox_id
    try:
        search = partial(_turned_into, fortnox, offer_number)
        earlier = links.sent_before
        if earlier is None:
            made_before = await search()
        else:
            made_before = await searched_once_settled(
                deal_links, earlier, order_id, search, settle_seconds=settle_seconds
            )
        if made_before is None:
            recorded = partial(intent_recorded, deal_links, order_id)
            try:
                async with create_on_its_way(deal_links, as_it_is_sent=recorded):
                    return await fortnox.create_order_from_offer(int(offer_number)), True
            except FortnoxValidationError:  # turned meanwhile? (an earlier one landed late)
                if (made_before := await search()) is None:
                    raise
        return await _its_order(fortnox, made_before), False
    except Exception:
        await deal_links.withdraw_unsent_intent()
        raise


async def _its_order(fortnox: FortnoxPort, number: str) -> Order:
    try:
        return await fortnox.get_order(int(number))
    except FortnoxNotFound:
        raise document_missing(FortnoxType.ORDER, number) from None


async def _turned_into(fortnox: FortnoxPort, offer_number: str) -> str | None:
    """The number of the order the offer was turned into; None when it names none yet."""
    try:
        offer = await fortnox.get_offer(int(offer_number))
    except FortnoxNotFound:
        raise document_missing(FortnoxType.OFFER, offer_number) from None
    made_before = (offer.OrderReference or "").strip()
    if parse_digits(made_before):  # a number, not 0
        return made_before
    if offer.Cancelled:
        raise OfferCancelled(
            f"the opportunity's Fortnox offer {offer_number} was cancelled; once that is synced "
            "(the deal goes to the lost stage), winning the deal again makes a new order"
        )
    return None
