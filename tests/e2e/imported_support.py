"""A deal imported from Fortnox: an invoice or order made by the bookkeeper in Fortnox (ten
consulting hours, and a freight row without an article when asked), synced into Upsales."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.test_inbound_documents import orders_described
from upsales_fortnox.integrations.fortnox.models import (
    Invoice,
    InvoiceRow,
    Offer,
    OfferRow,
    Order,
    OrderRow,
)

HOURS, HOURLY_PRICE = Decimal(10), Decimal(1250)
FREIGHT, FREIGHT_PRICE = "Frakt", Decimal(95)


def _invoice(*, freight: bool) -> Invoice:
    rows = [InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=HOURS, Price=HOURLY_PRICE)]
    if freight:
        rows.append(
            InvoiceRow(Description=FREIGHT, DeliveredQuantity=Decimal(1), Price=FREIGHT_PRICE)
        )
    return Invoice(CustomerNumber="2001", OurReference="sara@demokonsult.se", InvoiceRows=rows)


def order_made_in_fortnox(*, freight: bool) -> Order:
    """The order the bookkeeper makes (as sent to Fortnox)."""
    rows = [
        OrderRow(
            ArticleNumber="KONS-1",
            OrderedQuantity=HOURS,
            DeliveredQuantity=HOURS,
            Price=HOURLY_PRICE,
        )
    ]
    if freight:
        rows.append(
            OrderRow(
                Description=FREIGHT,
                OrderedQuantity=Decimal(1),
                DeliveredQuantity=Decimal(1),
                Price=FREIGHT_PRICE,
            )
        )
    return Order(CustomerNumber="2001", OurReference="sara@demokonsult.se", OrderRows=rows)


async def imported_deal(
    harness: SyncHarness, kind: str, *, freight: bool = False
) -> tuple[dict[str, Any], int]:
    """The Upsales deal a Fortnox ``kind`` ("invoice" or "order") made in Fortnox became, and
    that document's number; its events synced."""
    context = await context_of(harness)
    made = (
        await context.fortnox.create_invoice(_invoice(freight=freight))
        if kind == "invoice"
        else await context.fortnox.create_order(order_made_in_fortnox(freight=freight))
    )
    assert made.DocumentNumber is not None
    await EventFeed(harness).sync()
    described = {"invoice": "Fortnox-faktura", "order": "Fortnox-order"}[kind]
    (deal,) = orders_described(harness, f"{described} {made.DocumentNumber}")
    return deal, made.DocumentNumber


async def opportunity_of_an_offer_with_freight(harness: SyncHarness) -> dict[str, Any]:
    """The Upsales opportunity a Fortnox offer of ten consulting hours and a freight row
    without an article became; its events synced."""
    context = await context_of(harness)
    offer = await context.fortnox.create_offer(
        Offer(
            CustomerNumber="2001",
            OurReference="sara@demokonsult.se",
            OfferRows=[
                OfferRow(ArticleNumber="KONS-1", Quantity=HOURS, Price=HOURLY_PRICE),
                OfferRow(Description=FREIGHT, Quantity=Decimal(1), Price=FREIGHT_PRICE),
            ],
        )
    )
    await EventFeed(harness).sync()
    (opportunity,) = orders_described(harness, f"Fortnox-offert {offer.DocumentNumber}")
    return opportunity
