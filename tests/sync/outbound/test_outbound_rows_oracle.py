"""The outbound row mapping checked against an independent oracle: the Fortnox sandbox.

The service's own rule (``sync/outbound/money.py``) and the sandbox's totals
(``sandbox/fortnox/totals.py``, reached through the sandbox's document creation) were written
separately. Here every mapped order is sent, as the JSON body our client would send, into the
sandbox's ``create_document``, and the ``Net`` the sandbox computes must equal Upsales' net
value rounded to öre, exactly.

Orders are random: rows with a list price and a lower (discounted) net price, quantities with
two decimals, negative quantities (credit rows: the mapping prices them too, rounding the unit
price toward the amount), bundles in all three modes and several currencies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sync.outbound.outbound_builders import order, order_row
from ufs_sandboxes.fortnox import create_fortnox_sandbox
from ufs_sandboxes.fortnox.jsonio import parse_json
from ufs_sandboxes.fortnox.resources.document_kinds import INVOICES, ORDERS
from ufs_sandboxes.fortnox.resources.documents import create_document
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.rows import UnsendableOrder
from upsales_fortnox.integrations.jsonwire import FORTNOX_JSON
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode

D = Decimal
ORE = D("0.01")
PLAIN_PRODUCTS = {1: "A1", 2: "A2", 3: "A3"}
BUNDLE_PRODUCT = 10
SUB_PRODUCTS = {11: "SUB1", 12: "SUB2"}
ARTICLES = {**PLAIN_PRODUCTS, BUNDLE_PRODUCT: "BUNDLE", **SUB_PRODUCTS}
CURRENCIES = ["SEK", "EUR", "USD", "NOK", "DKK", "GBP"]

_SANDBOX = create_fortnox_sandbox()
_TENANT_ID = _SANDBOX.default_tenant_id or _SANDBOX.create_tenant()
_SANDBOX.seed(
    _TENANT_ID,
    customers=[{"CustomerNumber": "1", "Name": "Nordisk Verkstad AB"}],
    articles=[
        {"ArticleNumber": number, "Description": number, "VAT": vat}
        for number, vat in zip(ARTICLES.values(), (25, 12, 6, 25, 25, 12), strict=True)
    ],
)


def _round_ore(value: Decimal) -> Decimal:
    """Halves away from zero, written out here rather than taken from the code under test."""
    sign = -1 if value < 0 else 1
    return sign * (abs(value) * 100 + D("0.5")).to_integral_value(rounding="ROUND_FLOOR") * ORE


quantities = st.decimals(min_value=-50, max_value=200, places=2)
list_prices = st.decimals(min_value=0, max_value=50000, places=2)


@st.composite
def net_prices(draw: st.DrawFn, list_price: Decimal) -> Decimal:
    """A discounted net price ≤ the list price: by a percentage (up to 4 decimals, as Upsales
    stores it) or an öre amount."""
    if draw(st.booleans()):
        percent = draw(st.decimals(min_value=0, max_value=100, places=2))
        return (list_price * (100 - percent) / 100).quantize(D("0.0001"))
    return draw(st.decimals(min_value=0, max_value=list_price, places=2))


@st.composite
def bundle_items(draw: st.DrawFn) -> list[dict[str, Any]]:
    items = draw(st.lists(st.sampled_from([11, 12, 1, 2, 3]), min_size=1, max_size=4))
    result = []
    for product_id in items:
        list_price = draw(list_prices)
        result.append(
            {
                "productId": product_id,
                "quantity": str(draw(st.decimals(min_value=0, max_value=5, places=2))),
                "price": str(draw(st.one_of(st.just(D(0)), net_prices(list_price)))),
                "listPrice": str(list_price),
            }
        )
    return result


@st.composite
def upsales_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        list_price = draw(list_prices)
        price = draw(net_prices(list_price))
        assert price <= list_price
        is_bundle = draw(st.booleans())
        bundle = draw(bundle_items()) if is_bundle else None
        product_id = BUNDLE_PRODUCT if is_bundle else draw(st.sampled_from(list(PLAIN_PRODUCTS)))
        rows.append(order_row(product_id, draw(quantities), price, list_price, bundle=bundle))
    return rows


def _sandbox_document(wire_name: str, wire: dict[str, Any]) -> dict[str, Any]:
    """Create the document in the sandbox from the JSON body our client sends."""
    kind = INVOICES if wire_name == "Invoice" else ORDERS
    payload = parse_json(FORTNOX_JSON.dumps({wire_name: wire}))[wire_name]
    document: dict[str, Any] = create_document(_SANDBOX.tenant(_TENANT_ID), kind, payload)
    return document


@settings(max_examples=200, deadline=None)
@given(
    rows=upsales_rows(),
    mode=st.sampled_from(list(ProductBundleMode)),
    fortnox_type=st.sampled_from([FortnoxType.INVOICE, FortnoxType.ORDER]),
    currency=st.sampled_from(CURRENCIES),
    rounds_rows=st.booleans(),
)
def test_sandbox_net_equals_upsales_net_value_to_the_ore(
    rows: list[dict[str, Any]],
    mode: ProductBundleMode,
    fortnox_type: FortnoxType,
    currency: str,
    rounds_rows: bool,
) -> None:
    """``rounds_rows``: the value Upsales states for the order adds its rows up exactly, or
    each rounded first (``facts.ORDER_VALUE_ROUNDS_ROWS``, unverified); Net is it either way."""
    amounts = [row["quantity"] * row["price"] for row in rows]
    upsales_value = sum((_round_ore(a) if rounds_rows else a for a in amounts), D(0))
    upsales_order = order(rows, currency=currency, value=upsales_value)
    try:
        draft = map_order(
            upsales_order,
            fortnox_type=fortnox_type,
            customer_number="1",
            article_numbers=ARTICLES,
            bundle_mode=mode,
        )
    except UnsendableOrder:  # a priced bundle whose products all have quantity 0
        assert mode is ProductBundleMode.ONLY_SUB_PRODUCTS
        assert any(row.get("bundleRows") and row["quantity"] * row["price"] != 0 for row in rows)
        return
    wire = draft.to_fortnox()
    document = _sandbox_document(wire.WIRE_NAME, wire.to_wire())

    assert document["Net"] == _round_ore(upsales_value)
    assert document["Currency"] == currency
    rows_key = "InvoiceRows" if fortnox_type is FortnoxType.INVOICE else "OrderRows"
    sandbox_rows = document[rows_key]
    assert [r["Total"] for r in sandbox_rows] == [row.amount for row in draft.rows]
    assert all(r["Discount"] >= 0 for r in sandbox_rows)
    # the sandbox's gross and total follow from the net (no fees; VAT on top)
    assert document["Gross"] == document["Net"]
    assert document["Total"] - document["RoundOff"] == document["Net"] + document["TotalVAT"]
