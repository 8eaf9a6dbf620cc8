"""A duplicated, reordered stream of Fortnox events ends in the same Upsales state as a clean
one: handlers read the current state of their entity, so only what Fortnox holds counts."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness, build_harness, harness_settings
from tests.e2e.inbound_support import EventFeed, context_of, dead_jobs, fortnox_call
from upsales_fortnox.integrations.fortnox.models import Customer, Offer, OfferRow, Order, OrderRow
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import SyncType

Step = Callable[[SyncHarness], Awaitable[None]]

CUSTOMERS = [
    {"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB", "OrganisationNumber": "556677-8899"},
    {"CustomerNumber": "2001", "Name": "Göta Kanal AB", "Phone1": "0141-1"},
]
ARTICLES = [
    {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
    {"ArticleNumber": "LIC-BAS", "Description": "Licens Bas"},
]
PRICES = [
    {"PriceList": "A", "ArticleNumber": "KONS-1", "Price": 1250},
    {"PriceList": "A", "ArticleNumber": "LIC-BAS", "Price": 4900},
]


async def seed(harness: SyncHarness) -> None:
    harness.fortnox.seed(harness.tenant_id, customers=CUSTOMERS, articles=ARTICLES, prices=PRICES)


async def offer_then_order_then_invoice(harness: SyncHarness) -> None:
    fortnox = (await context_of(harness)).fortnox
    offer = await fortnox.create_offer(
        Offer(
            CustomerNumber="2001",
            OfferDate=dt.date(2024, 5, 2),
            OurReference="Erik Säljare",
            OfferRows=[
                OfferRow(ArticleNumber="KONS-1", Quantity=Decimal(10), Price=Decimal(1250)),
                OfferRow(
                    ArticleNumber="LIC-BAS",
                    Quantity=Decimal(1),
                    Price=Decimal(4900),
                    Discount=Decimal(500),
                    DiscountType="AMOUNT",
                ),
            ],
        )
    )
    assert offer.DocumentNumber is not None
    order = await fortnox.create_order_from_offer(offer.DocumentNumber)
    assert order.DocumentNumber is not None
    await fortnox.create_invoice_from_order(order.DocumentNumber)


async def cancelled_offer(harness: SyncHarness) -> None:
    fortnox = (await context_of(harness)).fortnox
    offer = await fortnox.create_offer(
        Offer(
            CustomerNumber="1001",
            OfferDate=dt.date(2024, 5, 3),
            OfferRows=[OfferRow(ArticleNumber="LIC-BAS", Quantity=Decimal(3), Price=Decimal(4900))],
        )
    )
    assert offer.DocumentNumber is not None
    await fortnox.cancel_offer(offer.DocumentNumber)


async def partly_delivered_order(harness: SyncHarness) -> None:
    fortnox = (await context_of(harness)).fortnox
    order = await fortnox.create_order(
        Order(
            CustomerNumber="1001",
            OrderDate=dt.date(2024, 5, 4),
            OrderRows=[
                OrderRow(
                    ArticleNumber="KONS-1",
                    OrderedQuantity=Decimal(10),
                    DeliveredQuantity=Decimal(4),
                    Price=Decimal(1250),
                )
            ],
        )
    )
    assert order.DocumentNumber is not None
    await fortnox.create_invoice_from_order(order.DocumentNumber)


async def edits(harness: SyncHarness) -> None:
    fortnox = (await context_of(harness)).fortnox
    await fortnox.update_customer("2001", Customer(Phone1="0141-2"))
    await fortnox_call(harness, "PUT", "/articles/KONS-1", {"Article": {"Description": "Timme"}})


async def cancel_first_invoice(harness: SyncHarness) -> None:
    await (await context_of(harness)).fortnox.cancel_invoice(1)


STEPS: list[Step] = [
    seed,
    offer_then_order_then_invoice,
    cancelled_offer,
    partly_delivered_order,
    edits,
    cancel_first_invoice,
]


async def upsales_state(harness: SyncHarness) -> dict[str, Any]:
    """What the sync wrote, by natural keys (ids may differ between runs)."""
    products = {p["id"]: p["articleNo"] for p in harness.upsales_entities("products")}
    companies = {c["id"]: c["name"] for c in harness.upsales_entities("accounts")}
    orders = {o["id"]: o["description"] for o in harness.upsales_entities("orders")}
    async with harness.services.session_factory() as session:
        links = await session.scalars(
            select(Link).where(Link.installation_id == harness.installation_id)
        )
        named = {**{("company", k): v for k, v in companies.items()}}
        named |= {("product", k): v for k, v in products.items()}
        named |= {("order", k): v for k, v in orders.items()}
        link_keys = sorted(
            (link.fortnox_type, link.fortnox_id, named[(link.entity, link.upsales_id)])
            for link in links
        )
    return {
        "companies": sorted(
            (c["name"], c["orgNo"], c["phone"], str(c["custom"]))
            for c in harness.upsales_entities("accounts")
        ),
        "products": sorted(
            (p["articleNo"], p["name"], p["listPrice"], p["active"])
            for p in harness.upsales_entities("products")
        ),
        "orders": sorted(
            (
                o["description"],
                o["stage"]["id"],
                o["probability"],
                companies[o["client"]["id"]],
                o["user"]["id"],
                o["date"],
                o["value"],
                str([(products[r["productId"]], r["quantity"], r["price"]) for r in o["orderRow"]]),
            )
            for o in harness.upsales_entities("orders")
        ),
        "links": link_keys,
    }


async def test_duplicated_and_reordered_events_end_in_the_clean_state(
    database_url: str, engine: AsyncEngine
) -> None:
    settings = harness_settings(database_url)
    clean = await build_harness(settings, engine, sync_type=SyncType.ORDER_OFFER)
    feed = EventFeed(clean)
    for step in STEPS:
        await step(clean)
        await feed.sync()
    expected = await upsales_state(clean)
    assert await dead_jobs(clean) == []
    await clean.services.http.aclose()
    async with clean.services.session_factory() as session:  # one installation per account
        await session.execute(delete(Installation).where(Installation.id == clean.installation_id))
        await session.commit()

    messy = await build_harness(settings, engine, sync_type=SyncType.ORDER_OFFER)
    messy_feed = EventFeed(messy)
    for step in STEPS:
        await step(messy)
    events = messy_feed.new_events()
    rng = random.Random(20240601)
    stream = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(stream)
    third = len(stream) // 3
    for batch in (stream[:third], stream[third : 2 * third], stream[2 * third :]):
        await messy_feed.enqueue(batch)
        await messy.run_jobs()
    await messy_feed.enqueue(reversed(events))  # and a full replay, newest first
    await messy.run_jobs()

    assert await dead_jobs(messy) == []
    assert await upsales_state(messy) == expected
    won_then_lost = [o for o in expected["orders"] if o[0] == "Fortnox-offert 1"]
    assert won_then_lost and won_then_lost[0][2] == 0  # the scenario did reach Upsales
    await messy.services.http.aclose()
