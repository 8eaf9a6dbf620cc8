"""Fortnox invoices, orders and offers become Upsales orders and opportunities."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness, build_harness, harness_settings
from tests.e2e.inbound_support import EventFeed, context_of, jobs_of, link_of
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAME
from upsales_fortnox.integrations.fortnox.models import (
    Invoice,
    InvoiceRow,
    Offer,
    OfferRow,
    Order,
    OrderRow,
)
from upsales_fortnox.vocabulary import FortnoxType, SyncType

ARTICLES = [
    {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
    {"ArticleNumber": "LIC-BAS", "Description": "Licens Bas"},
]
PRICES = [
    {"PriceList": "A", "ArticleNumber": "KONS-1", "Price": 1250},
    {"PriceList": "A", "ArticleNumber": "LIC-BAS", "Price": 4900},
]
CUSTOMERS = [
    {"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB", "OrganisationNumber": "556677-8899"},
    {"CustomerNumber": "2001", "Name": "Göta Kanal AB"},
]


async def _built(database_url: str, engine: AsyncEngine, sync_type: SyncType) -> SyncHarness:
    built = await build_harness(harness_settings(database_url), engine, sync_type=sync_type)
    built.fortnox.seed(built.tenant_id, customers=CUSTOMERS, articles=ARTICLES, prices=PRICES)
    return built


async def _close(built: SyncHarness) -> None:
    await built.service.aclose()
    await built.services.http.aclose()


@pytest.fixture
async def invoice_module(database_url: str, engine: AsyncEngine) -> AsyncIterator[SyncHarness]:
    built = await _built(database_url, engine, SyncType.INVOICE)
    yield built
    await _close(built)


@pytest.fixture
async def order_module(database_url: str, engine: AsyncEngine) -> AsyncIterator[SyncHarness]:
    built = await _built(database_url, engine, SyncType.ORDER)
    yield built
    await _close(built)


@pytest.fixture
async def offer_module(database_url: str, engine: AsyncEngine) -> AsyncIterator[SyncHarness]:
    built = await _built(database_url, engine, SyncType.ORDER_OFFER)
    yield built
    await _close(built)


def orders_described(harness: SyncHarness, description: str) -> list[dict[str, Any]]:
    return [o for o in harness.upsales_entities("orders") if o["description"] == description]


def row_summary(order: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (row["product"]["name"], row["quantity"], row["listPrice"], row["price"])
        for row in order["orderRow"]
    ]


INVOICE_ROWS = [
    InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=Decimal(8), Price=Decimal(1250)),
    InvoiceRow(
        ArticleNumber="LIC-BAS",
        DeliveredQuantity=Decimal(2),
        Price=Decimal(4900),
        Discount=Decimal(10),
        DiscountType="PERCENT",
    ),
    InvoiceRow(Description="Frakt", DeliveredQuantity=Decimal(1), Price=Decimal(95)),
]


async def test_an_invoice_becomes_a_won_order_worth_its_net(invoice_module: SyncHarness) -> None:
    harness = invoice_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="1001",
            InvoiceDate=dt.date(2024, 5, 20),
            OurReference="Erik Säljare",
            InvoiceRows=INVOICE_ROWS,
        )
    )

    await feed.sync()

    (order,) = orders_described(harness, f"Fortnox-faktura {invoice.DocumentNumber}")
    stored = harness.fortnox_entity("invoices", str(invoice.DocumentNumber))
    assert stored is not None
    assert order["value"] == stored["Net"] == Decimal(8 * 1250 + 2 * 4410 + 95)
    assert order["stage"]["id"] == harness.demo.stage_won_id and order["probability"] == 100
    assert order["client"]["id"] == harness.demo.account_ids[0]
    assert order["user"]["id"] == harness.demo.sales_rep_user_ids[0]
    assert order["date"] == "2024-05-20"
    assert row_summary(order) == [
        ("Konsulttimme", Decimal(8), Decimal(1250), Decimal(1250)),
        ("Licens Bas", Decimal(2), Decimal(4900), Decimal(4410)),
        (NO_ARTICLE_NAME, Decimal(1), Decimal(95), Decimal(95)),
    ]
    (job,) = await jobs_of(harness, "fortnox.invoice", str(invoice.DocumentNumber))
    assert job.result == {
        "fortnox_invoice": str(invoice.DocumentNumber),
        "upsales_order": order["id"],
        "outcome": "created",
        "reason": "new",
    }


async def test_a_cancelled_invoice_moves_its_order_to_lost(invoice_module: SyncHarness) -> None:
    harness = invoice_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="2001", OurReference="Okänd Person", InvoiceRows=INVOICE_ROWS[:1])
    )
    await feed.sync()
    (order,) = orders_described(harness, f"Fortnox-faktura {invoice.DocumentNumber}")
    assert order["user"]["id"] == harness.demo.admin_user_id  # placeholderUser
    assert invoice.DocumentNumber is not None

    await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    await feed.sync()

    lost = harness.upsales_entity("orders", order["id"])
    assert lost is not None
    assert lost["stage"]["id"] == harness.demo.stage_lost_id and lost["probability"] == 0
    assert len(orders_described(harness, f"Fortnox-faktura {invoice.DocumentNumber}")) == 1


async def bookkeepers_offer(harness: SyncHarness) -> Offer:
    """An offer the bookkeeper makes in Fortnox: ten consulting hours for customer 2001."""
    context = await context_of(harness)
    offer = await context.fortnox.create_offer(
        Offer(
            CustomerNumber="2001",
            OurReference="sara@demokonsult.se",
            OfferRows=[OfferRow(ArticleNumber="KONS-1", Quantity=Decimal(10), Price=Decimal(1250))],
        )
    )
    assert offer.DocumentNumber is not None
    return offer


async def test_an_offer_becomes_an_opportunity_then_a_won_order(
    offer_module: SyncHarness,
) -> None:
    harness = offer_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    offer = await bookkeepers_offer(harness)
    await feed.sync()
    (opportunity,) = orders_described(harness, f"Fortnox-offert {offer.DocumentNumber}")
    assert opportunity["stage"]["id"] == harness.demo.stage_offer_id
    assert opportunity["probability"] == 50
    assert opportunity["user"]["id"] == harness.demo.sales_rep_user_ids[1]
    orders_before = len(harness.upsales_entities("orders"))

    order = await context.fortnox.create_order_from_offer(offer.DocumentNumber)
    assert order.DocumentNumber is not None
    await feed.sync()

    won = harness.upsales_entity("orders", opportunity["id"])
    assert won is not None
    assert won["stage"]["id"] == harness.demo.stage_won_id and won["probability"] == 100
    assert len(harness.upsales_entities("orders")) == orders_before
    order_link = await link_of(harness, FortnoxType.ORDER, str(order.DocumentNumber))
    assert order_link is not None and order_link.upsales_id == opportunity["id"]

    invoice = await context.fortnox.create_invoice_from_order(order.DocumentNumber)
    assert invoice.DocumentNumber is not None
    await feed.sync()
    invoice_link = await link_of(harness, FortnoxType.INVOICE, str(invoice.DocumentNumber))
    assert invoice_link is not None and invoice_link.upsales_id == opportunity["id"]
    assert len(harness.upsales_entities("orders")) == orders_before

    await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    await feed.sync()
    lost = harness.upsales_entity("orders", opportunity["id"])
    assert lost is not None and lost["probability"] == 0


async def test_backorders_never_sync(order_module: SyncHarness) -> None:
    harness = order_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    order = await context.fortnox.create_order(
        Order(
            CustomerNumber="1001",
            OrderRows=[
                OrderRow(
                    ArticleNumber="KONS-1",
                    OrderedQuantity=Decimal(10),
                    DeliveredQuantity=Decimal(6),
                    Price=Decimal(1250),
                )
            ],
        )
    )
    assert order.DocumentNumber is not None
    await feed.sync()
    await context.fortnox.create_invoice_from_order(order.DocumentNumber)

    await feed.sync()

    backorders = [
        number
        for number in range(1, 10)
        if (found := harness.fortnox_entity("orders", number)) and found["OrderType"] == "Backorder"
    ]
    assert len(backorders) == 1
    assert orders_described(harness, f"Fortnox-order {backorders[0]}") == []
    (job,) = await jobs_of(harness, "fortnox.order", str(backorders[0]))
    assert job.result is not None and job.result["reason"] == "backorder"
    (imported,) = orders_described(harness, f"Fortnox-order {order.DocumentNumber}")
    assert imported["value"] == Decimal(12500) and imported["probability"] == 100


async def test_own_documents_are_not_imported_again(invoice_module: SyncHarness) -> None:
    harness = invoice_module
    feed = EventFeed(harness)
    context = await context_of(harness)
    opportunity_id = harness.demo.opportunity_id
    invoice = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="1001",
            ExternalInvoiceReference1=f"upsales-order:{opportunity_id}",
            InvoiceRows=INVOICE_ROWS[:1],
        )
    )
    assert invoice.DocumentNumber is not None
    orders_before = len(harness.upsales_entities("orders"))

    await feed.sync()
    assert len(harness.upsales_entities("orders")) == orders_before

    await context.fortnox.cancel_invoice(invoice.DocumentNumber)
    await feed.sync()
    lost = harness.upsales_entity("orders", opportunity_id)
    assert lost is not None
    assert lost["stage"]["id"] == harness.demo.stage_lost_id and lost["probability"] == 0
    assert len(harness.upsales_entities("orders")) == orders_before


async def test_an_invoice_of_a_customer_whose_company_was_deleted_in_upsales_finds_it_anew(
    invoice_module: SyncHarness,
) -> None:
    """A sales rep deletes the company of a linked customer in Upsales; the bookkeeper then
    invoices that customer. The invoice becomes a won order of the customer's company, matched
    afresh as the customer's own next change would, not a dead job naming a company Upsales no
    longer has."""
    harness = invoice_module
    feed = EventFeed(harness)
    await feed.sync()
    link = await link_of(harness, FortnoxType.CUSTOMER, "2001")
    assert link is not None
    harness.upsales.delete_entity(harness.demo.customer_id, "accounts", link.upsales_id)
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="2001", InvoiceRows=INVOICE_ROWS[:1])
    )

    await feed.sync()

    (job,) = await jobs_of(harness, "fortnox.invoice", str(invoice.DocumentNumber))
    assert job.result is not None and job.result["outcome"] == "created", job.last_error
    (order,) = orders_described(harness, f"Fortnox-faktura {invoice.DocumentNumber}")
    relinked = await link_of(harness, FortnoxType.CUSTOMER, "2001")
    assert relinked is not None and relinked.upsales_id != link.upsales_id
    company = harness.upsales_entity("accounts", relinked.upsales_id)
    assert company is not None and company["name"] == "Göta Kanal AB"
    assert order["client"]["id"] == relinked.upsales_id
    assert order["value"] == Decimal(8 * 1250) and order["probability"] == 100
