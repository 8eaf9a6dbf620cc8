"""A Fortnox invoice whose rows do not divide into unit prices in öre (an AMOUNT discount, a
percentage, VAT-included prices, a fractional quantity) becomes an Upsales order worth exactly
the invoice's ``Net``, and the reconciliation report compares the order with that ``Net``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import ARTICLES, link_demo_products
from tests.e2e.test_reconciliation_report import period, report
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow

ARTICLE = next(iter(ARTICLES))
D = Decimal

# Invoice rows and their Net, worked out by hand (see tests/sync/inbound/test_inbound_document_net)
INVOICES: dict[str, tuple[bool, list[InvoiceRow], Decimal]] = {
    "amount discount": (
        False,
        [
            InvoiceRow(
                ArticleNumber=ARTICLE,
                DeliveredQuantity=D(300),
                Price=D(10),
                Discount=D(1),
                DiscountType="AMOUNT",
            )
        ],
        D("2999.00"),
    ),
    "percent discount and a fractional quantity": (
        False,
        [
            InvoiceRow(
                ArticleNumber=ARTICLE,
                DeliveredQuantity=D(7),
                Price=D("13.13"),
                Discount=D("12.5"),
                DiscountType="PERCENT",
            ),
            InvoiceRow(ArticleNumber=ARTICLE, DeliveredQuantity=D("1.5"), Price=D("3.33")),
        ],
        D("85.42"),
    ),
    "VAT included": (
        True,
        [
            InvoiceRow(ArticleNumber=ARTICLE, DeliveredQuantity=D(1), Price=D("10.01"), VAT=25),
            InvoiceRow(ArticleNumber=ARTICLE, DeliveredQuantity=D(1), Price=D("10.01"), VAT=25),
            InvoiceRow(ArticleNumber=ARTICLE, DeliveredQuantity=D(1), Price=D("10.01"), VAT=25),
            InvoiceRow(
                ArticleNumber=ARTICLE,
                DeliveredQuantity=D(7),
                Price=D(125),
                VAT=25,
                Discount=D(3),
                DiscountType="AMOUNT",
            ),
        ],
        D("721.62"),
    ),
}


async def imported(harness: SyncHarness, case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice of ``case`` made in Fortnox and synced: its Upsales order and the invoice."""
    await link_demo_products(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )
    feed = EventFeed(harness)
    vat_included, rows, _ = INVOICES[case]
    context = await context_of(harness)
    made = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="2001", VATIncluded=vat_included, InvoiceRows=rows)
    )
    await feed.sync()
    number = str(made.DocumentNumber)
    (order,) = [
        o
        for o in harness.upsales_entities("orders")
        if o["description"] == f"Fortnox-faktura {number}"
    ]
    stored = harness.fortnox_entity("invoices", number)
    assert stored is not None
    return order, stored


@pytest.mark.parametrize("case", list(INVOICES))
async def test_the_order_is_worth_the_invoices_net(harness: SyncHarness, case: str) -> None:
    order, invoice = await imported(harness, case)

    assert D(invoice["Net"]) == INVOICES[case][2]
    assert D(order["value"]) == D(invoice["Net"])
    for row in order["orderRow"]:
        assert D(row["price"]) == D(row["price"]).quantize(D("0.01"))


async def test_the_2999_invoice_shows_its_product_in_two_rows(harness: SyncHarness) -> None:
    order, _ = await imported(harness, "amount discount")

    rows = [(r["product"]["id"], D(r["quantity"]), D(r["price"])) for r in order["orderRow"]]
    product = harness.demo.product_ids_by_article_no[ARTICLE]
    assert rows == [(product, D(299), D("10.00")), (product, D(1), D("9.00"))]


async def test_the_report_compares_the_order_with_the_invoices_net(harness: SyncHarness) -> None:
    """An order worth what the invoice's rows come to at four-decimal unit prices (2 999.01) is
    an öre off Fortnox's Net (2 999.00), and the report says so."""
    order, invoice = await imported(harness, "amount discount")
    start, end = period(harness)
    assert (await report(harness, start, end))["clean"] is True

    stored = harness.upsales.get_entity(harness.demo.customer_id, "orders", order["id"])
    assert stored is not None
    stored["value"] = D("2999.01")

    found = await report(harness, start, end)
    assert [(d["kind"], d["upsalesOrder"]) for d in found["differences"]] == [
        ("amount_differs", order["id"])
    ]
    assert "Fortnox 2999.00" in found["differences"][0]["detail"]
    assert D(invoice["Net"]) == D("2999.00")
