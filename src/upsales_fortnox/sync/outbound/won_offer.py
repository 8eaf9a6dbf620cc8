"""A won deal whose opportunity came from a Fortnox offer: its document is the order Fortnox
makes of that offer (``PUT /offers/{n}/createorder``), as a bookkeeper turning the offer into an
order would, whatever the sync type (the offer module syncs orders).

The order is made in Fortnox of Fortnox's offer, so Fortnox stays its source, as for any
document made there: it is linked to the deal as Fortnox has it, and Upsales changes are not
sent to it. An offer turned into an order already (by the bookkeeper, or by an attempt that
ended before its link was saved: the offer's ``OrderReference`` names it) is not turned again:
that order is linked.
"""

from __future__ import annotations

from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.outbound.fortnox_documents import document_missing
from upsales_fortnox.vocabulary import FortnoxType


class OfferCancelled(PermanentError):
    code = "fortnox_offer_cancelled"


async def order_of_offer(fortnox: FortnoxPort, offer_number: str) -> tuple[Order, bool]:
    """The order of the deal's offer, and whether it was made now."""
    try:
        offer = await fortnox.get_offer(int(offer_number))
    except FortnoxNotFound:
        raise document_missing(FortnoxType.OFFER, offer_number) from None
    made_before = (offer.OrderReference or "").strip()
    if made_before.isdigit() and int(made_before) > 0:
        try:
            return await fortnox.get_order(int(made_before)), False
        except FortnoxNotFound:
            raise document_missing(FortnoxType.ORDER, made_before) from None
    if offer.Cancelled:
        raise OfferCancelled(
            f"the opportunity's Fortnox offer {offer_number} was cancelled; once that is synced "
            "(the deal goes to the lost stage), winning the deal again makes a new order"
        )
    return await fortnox.create_order_from_offer(int(offer_number)), True
