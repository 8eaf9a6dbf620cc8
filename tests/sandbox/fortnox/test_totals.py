"""Row and document totals: both discount types, VAT per row, VATIncluded, fees, RoundOff."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from ufs_sandboxes.fortnox import FortnoxSandbox
from ufs_sandboxes.fortnox.totals import document_totals, row_total

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "discount_type", "expected"),
    [
        ("3", "99.90", "15", "PERCENT", "254.75"),  # 254.745 rounds half up
        ("2", "49.95", "10", "AMOUNT", "89.90"),
        ("1.5", "10.01", "0", "PERCENT", "15.02"),  # 15.015 rounds half up
        ("4", "25", "100", "PERCENT", "0.00"),
        ("-2", "100", "10", "PERCENT", "-180.00"),  # credit rows
    ],
)
def test_row_total(
    quantity: str, price: str, discount: str, discount_type: str, expected: str
) -> None:
    total = row_total(D(quantity), D(price), D(discount), discount_type)

    assert total == D(expected)
    assert total.as_tuple().exponent == -2


def test_document_totals_sum_vat_per_row_rate_and_round_once() -> None:
    totals = document_totals([(D("254.75"), D(25)), (D("89.90"), D(12))], vat_included=False)

    # VAT 63.6875 + 10.788 = 74.4755 -> 74.48
    assert (totals.net, totals.gross, totals.total_vat) == (D("344.65"), D("344.65"), D("74.48"))
    assert (totals.round_off, totals.total) == (D("0.00"), D("419.13"))


def test_round_off_to_whole_krona() -> None:
    down = document_totals(
        [(D("254.75"), D(25)), (D("89.90"), D(12))], vat_included=False, round_to_krona=True
    )
    up = document_totals([(D("100.40"), D(25))], vat_included=False, round_to_krona=True)

    assert (down.total, down.round_off) == (D(419), D("-0.13"))
    assert (up.total, up.round_off) == (D(126), D("0.50"))  # 125.50 rounds half up


def test_vat_included_prices() -> None:
    totals = document_totals([(D("125.00"), D(25)), (D("100.00"), D(12))], vat_included=True)

    # VAT inside: 25 + 10.714285... = 35.714285... -> 35.71
    assert (totals.total_vat, totals.net, totals.total) == (D("35.71"), D("189.29"), D("225.00"))


def test_fees_are_taxed_and_part_of_gross() -> None:
    totals = document_totals(
        [(D("100.00"), D(6))],
        vat_included=False,
        freight=D("50"),
        administration_fee=D("25"),
    )

    assert (totals.net, totals.gross) == (D("100.00"), D("175.00"))
    assert totals.total_vat == D("6.00") + D("18.75")
    assert totals.total == D("199.75")


def decimals(response: httpx.Response, wrapper: str) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    entity: dict[str, Any] = response.json(parse_float=Decimal)[wrapper]
    return entity


async def test_order_totals_through_the_api(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])

    order = decimals(
        await api.post(
            "/3/orders",
            json={
                "Order": {
                    "CustomerNumber": "1",
                    "OrderRows": [
                        {"OrderedQuantity": "3", "Price": 99.90, "Discount": 15},
                        {
                            "OrderedQuantity": "2",
                            "Price": 49.95,
                            "Discount": 10,
                            "DiscountType": "AMOUNT",
                            "VAT": 12,
                        },
                    ],
                }
            },
        ),
        "Order",
    )

    assert [row["Total"] for row in order["OrderRows"]] == [D("254.75"), D("89.9")]
    assert (order["Net"], order["TotalVAT"], order["RoundOff"]) == (D("344.65"), D("74.48"), 0)
    assert order["Total"] == D("419.13")
    assert order["TotalToPay"] == D("419.13")


async def test_round_off_follows_the_tenant_setting(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}, {"Name": "Euro GmbH", "Currency": "EUR"}])
    sandbox.set_round_off(tenant_id, True)
    rows = [{"DeliveredQuantity": "3", "Price": 99.90, "Discount": 15}]  # 254.75 + 63.69 VAT

    sek = decimals(
        await api.post(
            "/3/invoices", json={"Invoice": {"CustomerNumber": "1", "InvoiceRows": rows}}
        ),
        "Invoice",
    )
    eur = decimals(
        await api.post(
            "/3/invoices", json={"Invoice": {"CustomerNumber": "2", "InvoiceRows": rows}}
        ),
        "Invoice",
    )

    assert (sek["Total"], sek["RoundOff"], sek["Balance"]) == (D(318), D("-0.44"), D(318))
    assert (eur["Currency"], eur["Total"], eur["RoundOff"]) == ("EUR", D("318.44"), 0)


async def test_vat_included_document_through_the_api(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])

    offer = decimals(
        await api.post(
            "/3/offers",
            json={
                "Offer": {
                    "CustomerNumber": "1",
                    "VATIncluded": True,
                    "OfferRows": [
                        {"Quantity": "1", "Price": 125},
                        {"Quantity": "1", "Price": 100, "VAT": 12},
                    ],
                }
            },
        ),
        "Offer",
    )

    assert (offer["Net"], offer["TotalVAT"], offer["Total"]) == (D("189.29"), D("35.71"), D(225))


async def test_row_price_defaults_from_the_price_list_tier(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(
        tenant_id,
        pricelists=[{"Code": "B", "Description": "Resellers"}],
        articles=[{"ArticleNumber": "W1", "Description": "Widget", "Unit": "st", "VAT": 12}],
        prices=[
            {"PriceList": "A", "ArticleNumber": "W1", "Price": 100},
            {"PriceList": "B", "ArticleNumber": "W1", "Price": 90},
            {"PriceList": "B", "ArticleNumber": "W1", "FromQuantity": 10, "Price": 80},
        ],
        customers=[{"Name": "Retail"}, {"Name": "Reseller", "PriceList": "B"}],
    )

    retail = decimals(
        await api.post(
            "/3/orders",
            json={
                "Order": {
                    "CustomerNumber": "1",
                    "OrderRows": [{"ArticleNumber": "W1", "OrderedQuantity": "10"}],
                }
            },
        ),
        "Order",
    )
    reseller = decimals(
        await api.post(
            "/3/orders",
            json={
                "Order": {
                    "CustomerNumber": "2",
                    "OrderRows": [
                        {"ArticleNumber": "W1", "OrderedQuantity": "9"},
                        {"ArticleNumber": "W1", "OrderedQuantity": "10"},
                    ],
                }
            },
        ),
        "Order",
    )

    (row,) = retail["OrderRows"]
    assert (row["Price"], row["Description"], row["Unit"], row["VAT"]) == (100, "Widget", "st", 12)
    assert reseller["PriceList"] == "B"
    assert [r["Price"] for r in reseller["OrderRows"]] == [90, 80]
    assert reseller["Net"] == D("1610.00")
