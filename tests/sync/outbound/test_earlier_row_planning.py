"""Documents sent before December 2026 stay unchanged deals after the row planning changed.

Rows now add up to the order's value as Upsales states it, and a bundle's products follow their
``sortId``. A deal sent before, unchanged since, must not look changed: that would send an
update that only reorders its rows, or refuse a booked invoice as "changed after it was sent"
though nobody touched the deal. The fingerprints below are those the previous planning gave
(computed with the code of 8d38b8f); a change to the order is still a change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.catchup import OrderLinks, order_is_synced
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.document_decision import (
    DocumentLookup,
    decide_document,
    document_lookup,
)
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.sync_commands import (
    NoChange,
)
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode

ARTICLES = {10: "PKT", 11: "A-11", 12: "A-12", 20: "A-20"}
OUT_OF_SORT_ORDER = [
    {"productId": 12, "quantity": 1, "price": "300", "listPrice": "300", "sortId": 2},
    {"productId": 11, "quantity": 2, "price": "100", "listPrice": "100", "sortId": 1},
]
CASES: dict[str, tuple[list[dict[str, Any]], str, ProductBundleMode, str]] = {
    "a bundle's products listed out of their sortId order": (
        [order_row(10, 1, "450", bundle=OUT_OF_SORT_ORDER)],
        "450",
        ProductBundleMode.ONLY_SUB_PRODUCTS,
        "dd6f77a2e38b589dd97ae22a97a16fe1a27b516b0613af9a1b5240ca355914ec",
    ),
    "rows that round to the stated value, not to their exact sum": (
        [order_row(20, "0.335", "1"), order_row(20, "0.335", "1")],
        "0.68",
        ProductBundleMode.ONLY_BUNDLE,
        "a54b9d4574c8a46c7f4da28b4fd7a4adde3c994ebf4626fb33fccba311d3d669",
    ),
}


def _deal(rows: list[dict[str, Any]], value: str) -> Order:
    return order(rows, value=Decimal(value))


def _link(fingerprint: str) -> LinkView:
    return LinkView(
        entity=LinkEntity.ORDER,
        upsales_id=7,
        fortnox_type=FortnoxType.INVOICE,
        fortnox_id="1001",
        fingerprint=fingerprint,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_document_sent_under_the_earlier_planning_is_no_change(case: str) -> None:
    rows, value, mode, sent_fingerprint = CASES[case]
    draft = map_order(
        _deal(rows, value),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1",
        article_numbers=ARTICLES,
        bundle_mode=mode,
    )
    assert draft.fingerprint() != sent_fingerprint  # the rows are planned otherwise now
    link = _link(sent_fingerprint)
    assert document_lookup(draft, link, sent_before=True) is DocumentLookup.NONE
    assert isinstance(decide_document(draft, link, None), NoChange)
    links = OrderLinks(orders={7: link}, companies={3: _customer_link()}, articles=ARTICLES)
    settings = SyncSettings(product_bundles=mode)
    assert order_is_synced(_deal(rows, value), links, settings) is True


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_deal_changed_since_is_a_change(case: str) -> None:
    rows, value, mode, sent_fingerprint = CASES[case]
    changed = [*rows, order_row(20, 1, "10")]
    draft = map_order(
        _deal(changed, str(Decimal(value) + 10)),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1",
        article_numbers=ARTICLES,
        bundle_mode=mode,
    )
    link = _link(sent_fingerprint)
    assert document_lookup(draft, link, sent_before=True) is DocumentLookup.GET
    assert not draft.sent_as(sent_fingerprint)


def test_orders_the_planning_change_does_not_touch_carry_no_earlier_fingerprint() -> None:
    draft = map_order(
        _deal([order_row(20, 2, "99.50")], "199"),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1",
        article_numbers=ARTICLES,
        bundle_mode=ProductBundleMode.ONLY_SUB_PRODUCTS,
    )
    assert draft.earlier_fingerprint is None


def _customer_link() -> LinkView:
    return LinkView(
        entity=LinkEntity.COMPANY,
        upsales_id=3,
        fortnox_type=FortnoxType.CUSTOMER,
        fortnox_id="1",
        fingerprint="c",
    )
