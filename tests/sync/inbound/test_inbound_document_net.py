"""A Fortnox document's Upsales order is worth the document's net to the öre: rows whose total
does not divide by their quantity, percentage discounts, VAT-included prices, credit rows,
fractional and zero quantities. Each value is checked both ways Upsales may add rows up (exact,
or each row rounded to öre first), with the document's ``Net`` as Fortnox sends it and without.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.sync.inbound.upsales_value import order_value
from upsales_fortnox.domain.inbound.document_changes import (
    OrderReferences,
    document_lines,
    order_rows,
)
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.upsales.models import OrderRow

D = Decimal
ORE = D("0.01")
REFS = OrderReferences(company_id=1, user_id=2, product_ids={"A": 10, "B": 20, "C": 30})


def row(quantity: str, price: str, *, article: str = "A", **fields: Any) -> dict[str, Any]:
    return {"ArticleNumber": article, "DeliveredQuantity": quantity, "Price": price, **fields}


# (rows, VATIncluded, Fortnox's Net), each net worked out by hand from the row formula of the
# reference (fortnox.md "Totals"): rows rounded to öre, VAT-included VAT rounded once.
CASES: dict[str, tuple[list[dict[str, Any]], bool, str]] = {
    # 300 x 10 - 1 = 2999.00; 2999 / 300 = 9.99666…
    "amount discount": ([row("300", "10", Discount="1", DiscountType="AMOUNT")], False, "2999.00"),
    # 7 x 13.13 x 0.875 = 80.42125 → 80.42; 80.42 / 7 = 11.4885…
    "percent discount": (
        [row("7", "13.13", Discount="12.5", DiscountType="PERCENT")],
        False,
        "80.42",
    ),
    # 3 x 99.90 x 0.85 = 254.745 → 254.75 (half up); next to a row that divides
    "percent discount, two rows": (
        [
            row("3", "99.90", Discount="15", DiscountType="PERCENT"),
            row("2", "49.95", article="B", Discount="10", DiscountType="AMOUNT"),
        ],
        False,
        "344.65",
    ),
    # 3 x 10.01 with 25 % VAT inside: rows 8.008 each (8.01 rounded one by one: 24.03);
    # VAT 3 x 2.002 = 6.006 → 6.01, so Net = 30.03 - 6.01 = 24.02
    "vat included, per-row rounding drifts": (
        [row("1", "10.01", VAT=25), row("1", "10.01", VAT=25), row("1", "10.01", VAT=25)],
        True,
        "24.02",
    ),
    # 299.97 (25 %) + 10.01 (12 %) + 10.01 (6 %) = 319.99; VAT 59.994 + 1.0725 + 0.5666… → 61.63
    "vat included, three rates": (
        [
            row("3", "99.99", VAT=25),
            row("1", "10.01", article="B", VAT=12),
            row("1", "10.01", article="C", VAT=6),
        ],
        True,
        "258.36",
    ),
    # 7 x 125 incl. 25 % less 3 kr = 872.00, VAT 174.40 → 697.60; 697.60 / 7 = 99.657…
    "vat included, amount discount": (
        [row("7", "125", VAT=25, Discount="3", DiscountType="AMOUNT")],
        True,
        "697.60",
    ),
    # a credit: -300 x 10 + 1 = -2999.00
    "credit row": ([row("-300", "10", Discount="-1", DiscountType="AMOUNT")], False, "-2999.00"),
    # -7 x 13.13 x 0.875 = -80.42125 → -80.42
    "credit row, percent": ([row("-7", "13.13", Discount="12.5")], False, "-80.42"),
    # 1.5 x 3.33 = 4.995 → 5.00 (half up); 5.00 / 1.5 = 3.333…
    "fractional quantity": ([row("1.5", "3.33")], False, "5.00"),
    # 2.25 x 9.99 = 22.4775 → 22.48; 22.48 / 2.25 = 9.9911…
    "fractional quantity, two decimals": ([row("2.25", "9.99")], False, "22.48"),
    # 0.3 x 3.33 = 0.999 → 1.00; 1.00 / 0.3 = 3.333…
    "quantity below one": ([row("0.3", "3.33")], False, "1.00"),
    # a row of quantity 0 is worth nothing and left out
    "zero quantity": (
        [row("0", "10", article="B"), row("3", "100", Discount="100", DiscountType="AMOUNT")],
        False,
        "200.00",
    ),
}


def value(rows: list[OrderRow], *, rounds_rows: bool) -> Decimal:
    """An Upsales order's value: its rows' quantity * price, exact or each rounded to öre."""
    pairs = []
    for each in rows:
        assert each.quantity is not None and each.price is not None
        pairs.append((each.quantity, each.price))
    return order_value(pairs, rounds_rows=rounds_rows)


def invoice(rows: list[dict[str, Any]], vat_included: bool, net: str | None) -> Invoice:
    return Invoice.model_validate(
        {
            "DocumentNumber": 1,
            "CustomerNumber": "1001",
            "VATIncluded": vat_included,
            "InvoiceRows": rows,
            **({"Net": net} if net is not None else {}),
        }
    )


@pytest.mark.parametrize("with_net", [True, False], ids=["Net sent", "Net computed"])
@pytest.mark.parametrize("rounds_rows", [False, True], ids=["exact sum", "rows rounded"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_order_value_is_the_documents_net(case: str, rounds_rows: bool, with_net: bool) -> None:
    rows, vat_included, net = CASES[case]

    upsales_rows = order_rows(
        document_lines(invoice(rows, vat_included, net if with_net else None)), REFS
    )

    assert value(upsales_rows, rounds_rows=rounds_rows) == D(net)
    for each in upsales_rows:
        assert each.price is not None and each.quantity is not None
        assert each.price == each.price.quantize(ORE)  # priced in whole öre
        assert each.quantity * each.price == (each.quantity * each.price).quantize(ORE)


def test_the_2999_row_is_299_at_10_and_1_at_9_of_the_same_product() -> None:
    rows, _, net = CASES["amount discount"]

    upsales_rows = order_rows(document_lines(invoice(rows, False, net)), REFS)

    assert [
        (r.product and r.product.id, r.quantity, r.listPrice, r.price) for r in upsales_rows
    ] == [
        (10, D(299), D(10), D("10.00")),
        (10, D(1), D(10), D("9.00")),
    ]


def test_split_rows_add_up_to_the_quantity_sold() -> None:
    for case in (
        "percent discount",
        "credit row",
        "fractional quantity",
        "vat included, amount discount",
    ):
        rows, vat_included, net = CASES[case]
        lines = document_lines(invoice(rows, vat_included, net))
        assert len(lines) == 2, case
        assert sum(line.quantity for line in lines) == D(rows[0]["DeliveredQuantity"]), case
        assert {line.list_price for line in lines} == {lines[0].list_price}, case


def test_a_vat_included_documents_rows_add_up_to_its_net_not_to_rows_rounded_one_by_one() -> None:
    rows, _, net = CASES["vat included, per-row rounding drifts"]

    lines = document_lines(invoice(rows, True, None))

    assert sorted(line.price for line in lines) == [D("8.00"), D("8.01"), D("8.01")]
    assert sum(line.quantity * line.price for line in lines) == D(net)


def test_fortnoxs_net_decides_when_its_rows_say_otherwise() -> None:
    """Fortnox's ``Net`` is the arbiter: a document whose rows the mapping would value one öre
    off (a rounding Fortnox does otherwise) still gets an order worth its ``Net``."""
    rows, _, _ = CASES["amount discount"]

    lines = document_lines(invoice(rows, False, "2998.99"))

    assert sum(line.quantity * line.price for line in lines) == D("2998.99")


def test_an_order_row_quantity_comes_from_the_ordered_quantity() -> None:
    order = Order.model_validate(
        {
            "DocumentNumber": 5,
            "CustomerNumber": "1001",
            "Net": "2999.00",
            "OrderRows": [
                {
                    "ArticleNumber": "A",
                    "OrderedQuantity": "300",
                    "DeliveredQuantity": "0",
                    "Price": "10",
                    "Discount": "1",
                    "DiscountType": "AMOUNT",
                }
            ],
        }
    )

    lines = document_lines(order)

    assert [(line.quantity, line.price) for line in lines] == [
        (D(299), D("10.00")),
        (D(1), D("9.00")),
    ]
