"""Order rows as Fortnox rows: bundles in all three modes, articles, and exact totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sync.inbound.upsales_value import order_value
from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.core.texts import Phrase
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAME, no_article_product
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.money import fortnox_net, round_ore
from upsales_fortnox.domain.outbound.rows import (
    WITHOUT_ARTICLE,
    ProductNotInFortnox,
    UnsendableOrder,
    plan_rows,
    required_product_ids,
    upsales_net_value,
    with_catch_all_named,
)
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode

D = Decimal
ARTICLES = {1: "A1", 2: "A2", 3: "A3", 10: "BUNDLE", 11: "SUB1", 12: "SUB2"}
BUNDLE = [
    {"productId": 11, "quantity": 2, "price": "100", "listPrice": "120"},
    {"productId": 12, "quantity": 1, "price": "300", "listPrice": "300"},
]


def _bundle_order() -> Any:
    return order([order_row(1, 2, "50"), order_row(10, 3, "450", "500", bundle=BUNDLE)])


def test_plain_rows_keep_article_quantity_and_net_price() -> None:
    rows = plan_rows(
        order([order_row(1, 2, "4410", "4900")]).orderRow or [],
        ProductBundleMode.ONLY_BUNDLE,
        ARTICLES,
    )
    assert [(r.article_number, r.quantity, r.price, r.discount, r.amount) for r in rows] == [
        ("A1", D(2), D("4410.00"), D(0), D("8820.00"))
    ]


def test_rows_follow_sort_id() -> None:
    first, second = order_row(1, 1, "1"), order_row(2, 1, "2")
    first["sortId"], second["sortId"] = 2, 1
    rows = plan_rows(order([first, second]).orderRow or [], ProductBundleMode.ONLY_BUNDLE, ARTICLES)
    assert [r.article_number for r in rows] == ["A2", "A1"]


@pytest.mark.parametrize(
    "mode", [ProductBundleMode.ONLY_SUB_PRODUCTS, ProductBundleMode.BUNDLE_AND_SUB_PRODUCTS]
)
def test_sub_rows_follow_the_sort_id_of_the_bundles_products(mode: ProductBundleMode) -> None:
    """Upsales lists a bundle's products by their ``sortId`` ("order this product appears in
    the UI in the bundle"), not by their place in ``bundleRows``: the invoice shows them so."""
    shown_last_first = [
        {"productId": 11, "quantity": 2, "price": "100", "sortId": 2},
        {"productId": 12, "quantity": 1, "price": "300", "sortId": 1},
    ]
    rows = plan_rows(
        order([order_row(10, 3, "450", bundle=shown_last_first)]).orderRow or [], mode, ARTICLES
    )
    sub_rows = [(r.article_number, r.quantity) for r in rows if r.article_number != "BUNDLE"]
    assert sub_rows == [("SUB2", D(3)), ("SUB1", D(6))]
    assert sum((r.amount for r in rows), D(0)) == D("1350.00")


def test_only_bundle_sends_one_row_for_the_bundle() -> None:
    rows = plan_rows(_bundle_order().orderRow, ProductBundleMode.ONLY_BUNDLE, ARTICLES)
    assert [(r.article_number, r.quantity, r.amount) for r in rows] == [
        ("A1", D(2), D("100.00")),
        ("BUNDLE", D(3), D("1350.00")),
    ]


def test_bundle_and_sub_products_adds_sub_rows_at_price_zero() -> None:
    rows = plan_rows(_bundle_order().orderRow, ProductBundleMode.BUNDLE_AND_SUB_PRODUCTS, ARTICLES)
    assert [(r.article_number, r.quantity, r.price, r.amount) for r in rows] == [
        ("A1", D(2), D("50.00"), D("100.00")),
        ("BUNDLE", D(3), D("450.00"), D("1350.00")),
        ("SUB1", D(6), D(0), D(0)),
        ("SUB2", D(3), D(0), D(0)),
    ]


def test_only_sub_products_splits_the_bundle_amount_by_value() -> None:
    rows = plan_rows(_bundle_order().orderRow, ProductBundleMode.ONLY_SUB_PRODUCTS, ARTICLES)
    # weights 6 x 100 = 600 and 3 x 300 = 900 of 1350.00 → 540.00 and 810.00
    assert [(r.article_number, r.quantity, r.price, r.discount, r.amount) for r in rows] == [
        ("A1", D(2), D("50.00"), D(0), D("100.00")),
        ("SUB1", D(6), D("90.00"), D(0), D("540.00")),
        ("SUB2", D(3), D("270.00"), D(0), D("810.00")),
    ]


def test_only_sub_products_falls_back_to_list_prices_then_quantities() -> None:
    no_price = [
        {"productId": 11, "quantity": 1, "listPrice": "1"},
        {"productId": 12, "quantity": 3, "listPrice": "1"},
    ]
    rows = plan_rows(
        order([order_row(10, 1, "100", bundle=no_price)]).orderRow or [],
        ProductBundleMode.ONLY_SUB_PRODUCTS,
        ARTICLES,
    )
    assert [r.amount for r in rows] == [D("25.00"), D("75.00")]
    no_prices = [{"productId": 11, "quantity": 1}, {"productId": 12, "quantity": 1}]
    rows = plan_rows(
        order([order_row(10, 1, "100", bundle=no_prices)]).orderRow or [],
        ProductBundleMode.ONLY_SUB_PRODUCTS,
        ARTICLES,
    )
    assert [r.amount for r in rows] == [D("50.00"), D("50.00")]


@pytest.mark.parametrize(
    ("quantity", "price", "amounts"),
    [
        ("1", "800", ["1000.00", "-200.00"]),  # the bundle at its products' value
        ("1", "720", ["900.00", "-180.00"]),  # a discount on the bundle row: both take it
        ("-1", "800", ["-1000.00", "200.00"]),  # the bundle credited
    ],
    ids=["at-value", "discounted", "credited"],
)
def test_only_sub_products_keep_the_sign_of_a_product_of_negative_value(
    quantity: str, price: str, amounts: list[str]
) -> None:
    """A product of negative price in the bundle (a discount product) stays a deduction in
    Fortnox: the bundle's amount is split in proportion to each product's value, its sign
    kept, not to the value's size (which billed the discount as a charge)."""
    with_discount = [
        {"productId": 11, "quantity": 1, "price": "1000"},
        {"productId": 12, "quantity": 1, "price": "-200"},
    ]
    rows = plan_rows(
        order([order_row(10, quantity, price, bundle=with_discount)]).orderRow or [],
        ProductBundleMode.ONLY_SUB_PRODUCTS,
        ARTICLES,
    )
    assert [r.amount for r in rows] == [D(amount) for amount in amounts]
    assert [r.price for r in rows] == [D(amount) / D(quantity) for amount in amounts]
    assert all(r.discount == 0 for r in rows)


def test_a_bundle_without_quantities_cannot_carry_its_price() -> None:
    empty = [{"productId": 11, "quantity": 0}]
    with pytest.raises(UnsendableOrder, match="no products with a quantity"):
        plan_rows(
            order([order_row(10, 1, "100", bundle=empty)]).orderRow or [],
            ProductBundleMode.ONLY_SUB_PRODUCTS,
            ARTICLES,
        )


def test_a_product_without_article_is_named_in_the_error() -> None:
    with pytest.raises(ProductNotInFortnox, match="'Konsulttimme' \\(product 99\\)"):
        plan_rows(
            order([order_row(99, 1, "1", name="Konsulttimme")]).orderRow or [],
            ProductBundleMode.ONLY_BUNDLE,
            ARTICLES,
        )
    with pytest.raises(ProductNotInFortnox, match=r"product \(id 13\)"):
        bundle = [{"productId": 13, "quantity": 1}]
        plan_rows(
            order([order_row(10, 1, "1", bundle=bundle)]).orderRow or [],
            ProductBundleMode.ONLY_SUB_PRODUCTS,
            ARTICLES,
        )


def test_the_catch_all_product_is_known_by_its_name_where_the_rows_carry_no_article() -> None:
    """A check reading only the order (the hook body names products, not their article
    numbers) takes the unlinked product named as the catch-all for a row without an article."""
    rows = order(
        [
            order_row(1, 1, "100", name=NO_ARTICLE_NAME),  # linked: its article stays
            order_row(77, 1, "95", name=NO_ARTICLE_NAME),
            order_row(99, 1, "5", name="Frakt"),
        ]
    ).orderRow
    assert rows is not None
    known = with_catch_all_named(rows, ARTICLES)
    assert known == {**ARTICLES, 77: WITHOUT_ARTICLE}
    assert 99 not in known and 77 not in ARTICLES
    planned = plan_rows(rows[:2], ProductBundleMode.ONLY_BUNDLE, known)
    assert [(r.article_number, r.description, r.amount) for r in planned] == [
        ("A1", None, D("100")),
        (WITHOUT_ARTICLE, NO_ARTICLE_NAME, D("95")),
    ]


def test_required_product_ids_per_mode() -> None:
    rows = _bundle_order().orderRow
    assert required_product_ids(rows, ProductBundleMode.ONLY_BUNDLE) == [1, 10]
    assert required_product_ids(rows, ProductBundleMode.ONLY_SUB_PRODUCTS) == [1, 11, 12]
    assert required_product_ids(rows, ProductBundleMode.BUNDLE_AND_SUB_PRODUCTS) == [1, 10, 11, 12]


def test_a_row_without_product_is_refused() -> None:
    row = order_row(1, 1, "1")
    del row["product"]
    with pytest.raises(UnsendableOrder, match="has no product"):
        plan_rows(order([row]).orderRow or [], ProductBundleMode.ONLY_BUNDLE, ARTICLES)


ALL_MODES = tuple(ProductBundleMode)


@pytest.mark.parametrize(
    ("quantity", "price", "bundle", "modes"),
    [
        ("1e20", "1e10", None, ALL_MODES),  # a row amount with more digits than öre keep
        ("0", "1e30", None, ALL_MODES),  # a unit price beyond them, on a row of no amount
        ("1e500000", "1e500000", None, ALL_MODES),  # beyond the exponent a decimal may have
        (
            "1",
            "5",
            [{"productId": 11, "quantity": "1e30", "price": "1"}],
            (ProductBundleMode.ONLY_SUB_PRODUCTS,),
        ),  # the bundle's amount split over a sub-product quantity beyond them
    ],
    ids=["row-amount", "unit-price", "exponent", "sub-product-quantity"],
)
def test_amounts_the_öre_arithmetic_cannot_hold_make_the_order_unsendable(
    quantity: str,
    price: str,
    bundle: list[dict[str, Any]] | None,
    modes: tuple[ProductBundleMode, ...],
) -> None:
    """Such an order cannot become a Fortnox document: it is refused with a reason (a
    ``before_order_save`` refusal, a job dead as ``order_not_sendable``), not a crash."""
    rows = order([order_row(10, quantity, price, bundle=bundle)]).orderRow or []
    for mode in modes:
        with pytest.raises(UnsendableOrder) as refused:
            plan_rows(rows, mode, ARTICLES)
        assert refused.value.code == "order_not_sendable"


# --- the property: Fortnox's net equals Upsales' net value, to the öre ---------------------

quantities = st.one_of(
    st.integers(min_value=0, max_value=1000).map(Decimal),
    st.decimals(min_value=0, max_value=100, places=3),
)
list_prices = st.decimals(min_value=0, max_value=100000, places=2)
discount_percents = st.one_of(
    st.just(Decimal(0)), st.decimals(min_value=0, max_value=100, places=2)
)


@st.composite
def bundle_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    items = draw(st.lists(st.sampled_from([11, 12, 1, 2, 3]), min_size=1, max_size=4))
    return [
        {
            "productId": product_id,
            "quantity": str(draw(st.integers(min_value=0, max_value=5))),
            "price": str(draw(st.one_of(st.just(Decimal(0)), list_prices))),
            "listPrice": str(draw(list_prices)),
        }
        for product_id in items
    ]


@st.composite
def upsales_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        list_price = draw(list_prices)
        percent = draw(discount_percents)
        net_price = (list_price * (100 - percent) / 100).quantize(Decimal("0.0001"))
        is_bundle = draw(st.booleans())
        bundle = draw(bundle_rows()) if is_bundle else None
        product_id = 10 if is_bundle else draw(st.sampled_from([1, 2, 3]))
        rows.append(order_row(product_id, draw(quantities), net_price, list_price, bundle=bundle))
    return rows


def _fortnox_net(document: Invoice | Order) -> Decimal:
    if isinstance(document, Invoice):
        return fortnox_net(
            (r.DeliveredQuantity or D(0), r.Price or D(0), r.Discount or D(0), r.DiscountType)
            for r in document.InvoiceRows or []
        )
    return fortnox_net(
        (r.DeliveredQuantity or D(0), r.Price or D(0), r.Discount or D(0), r.DiscountType)
        for r in document.OrderRows or []
    )


@settings(max_examples=300, deadline=None)
@given(
    rows=upsales_rows(),
    mode=st.sampled_from(list(ProductBundleMode)),
    fortnox_type=st.sampled_from([FortnoxType.INVOICE, FortnoxType.ORDER]),
    currency=st.sampled_from(["SEK", "EUR", "USD", "NOK"]),
    rounds_rows=st.sampled_from([None, False, True]),
)
def test_fortnox_net_equals_upsales_net_value_to_the_ore(
    rows: list[dict[str, Any]],
    mode: ProductBundleMode,
    fortnox_type: FortnoxType,
    currency: str,
    rounds_rows: bool | None,
) -> None:
    """Against the order's value as Upsales states it, whether it adds its rows exactly or
    rounds each one first (``facts.ORDER_VALUE_ROUNDS_ROWS``), or states none (None)."""
    value = None
    if rounds_rows is not None:
        value = order_value(((r["quantity"], r["price"]) for r in rows), rounds_rows=rounds_rows)
    upsales_order = order(rows, currency=currency, value=value)
    try:
        draft = map_order(
            upsales_order,
            fortnox_type=fortnox_type,
            customer_number="1",
            article_numbers=ARTICLES,
            bundle_mode=mode,
        )
    except UnsendableOrder:  # a bundle whose products all have quantity 0 and a price
        assert mode is ProductBundleMode.ONLY_SUB_PRODUCTS
        return
    wire = draft.to_fortnox()
    expected = round_ore(
        upsales_net_value(upsales_order.orderRow or []) if value is None else value
    )
    assert _fortnox_net(wire) == expected == draft.net
    assert draft.currency == currency
    for row in draft.rows:
        assert row.discount >= 0 and row.price == round_ore(row.price)
        assert row.discount == round_ore(row.discount)


def test_the_catch_all_product_is_made_with_its_swedish_name_and_known_by_every_name() -> None:
    """The catch-all is created with the catalogue's Swedish name (a sales rep reads it on the
    order and Fortnox prints it on the invoice row); one made earlier under the English name is
    still taken for it by a check that reads only the order."""
    assert no_article_product().name == NO_ARTICLE_NAME == "Fortnox-rad utan artikel"
    rows = order(
        [
            order_row(77, 1, "95", name="Fortnox row without article"),
            order_row(78, 1, "5", name="Fortnox-rad utan artikel"),
            order_row(79, 1, "5", name="Fortnox row"),
        ]
    ).orderRow
    assert rows is not None
    assert with_catch_all_named(rows, {}) == {77: WITHOUT_ARTICLE, 78: WITHOUT_ARTICLE}


@pytest.mark.parametrize(
    ("row", "bundle"),
    [
        (("100", "1e15"), None),
        (("1e15", "1"), None),
        (("1", "100"), {"productId": 11, "quantity": 1, "price": "1e999999"}),
        (("1", "100"), {"productId": 11, "quantity": "-1e16", "price": "5"}),
    ],
    ids=["price", "quantity", "bundle-price", "bundle-quantity"],
)
def test_an_amount_past_the_largest_a_document_carries_makes_the_order_unsendable(
    row: tuple[str, str], bundle: dict[str, object] | None
) -> None:
    """Refused before any arithmetic: a bundle price of a million digits is a weight whose
    exact fraction alone took half a second to make."""
    quantity, price = row
    rows = order(
        [order_row(10, quantity, price, bundle=[bundle, {"productId": 12, "quantity": 1}])]
        if bundle
        else [order_row(10, quantity, price)]
    ).orderRow
    assert rows is not None
    with pytest.raises(UnsendableOrder) as refused:
        plan_rows(rows, ProductBundleMode.ONLY_SUB_PRODUCTS, {10: "A", 11: "B", 12: "C"})
    assert refused.value.code == "order_not_sendable"
    assert Phrase("order.amounts_out_of_range") in str(refused.value)
