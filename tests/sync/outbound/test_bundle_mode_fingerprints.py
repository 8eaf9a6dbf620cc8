"""A deal with a bundle, sent in one ``productBundles`` mode, is the same deal after the mode
changes: its draft recognises the document planned in any mode (nothing to send, nothing to
refuse on a booked invoice), while a change to its rows is still a change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.rows import products_of_every_mode
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode

ARTICLES = {10: "PKT", 11: "A-11", 12: "A-12", 20: "A-20"}
BUNDLE = [
    {"productId": 11, "quantity": 2, "price": "100", "listPrice": "100", "sortId": 1},
    {"productId": 12, "quantity": 1, "price": "300", "listPrice": "300", "sortId": 2},
]


def _deal(quantity: int = 1) -> Order:
    rows = [order_row(10, quantity, "450", bundle=BUNDLE), order_row(20, 1, "99")]
    return order(rows, value=Decimal(450 * quantity + 99))


def _fingerprint(deal: Order, mode: ProductBundleMode, articles: dict[int, str]) -> Any:
    return _draft(deal, mode, articles).fingerprint()


def _draft(deal: Order, mode: ProductBundleMode, articles: dict[int, str]) -> Any:
    return map_order(
        deal,
        fortnox_type=FortnoxType.INVOICE,
        customer_number="5",
        article_numbers=articles,
        bundle_mode=mode,
    )


@pytest.mark.parametrize("sent_in", list(ProductBundleMode))
@pytest.mark.parametrize("now", list(ProductBundleMode))
def test_a_document_sent_in_another_mode_is_no_change(
    sent_in: ProductBundleMode, now: ProductBundleMode
) -> None:
    sent = _fingerprint(_deal(), sent_in, ARTICLES)

    assert _draft(_deal(), now, ARTICLES).sent_as(sent)
    assert not _draft(_deal(quantity=2), now, ARTICLES).sent_as(sent)


def test_a_mode_whose_products_have_no_article_is_not_planned() -> None:
    without_sub_products = {10: "PKT", 20: "A-20"}
    draft = _draft(_deal(), ProductBundleMode.ONLY_BUNDLE, without_sub_products)

    assert draft.other_mode_fingerprints == ()


def test_an_order_without_a_bundle_has_no_other_mode() -> None:
    deal = order([order_row(20, 1, "99")], value=Decimal(99))

    assert _draft(deal, ProductBundleMode.ONLY_BUNDLE, ARTICLES).other_mode_fingerprints == ()


def test_the_products_of_every_mode_are_the_bundle_and_its_products() -> None:
    assert products_of_every_mode(_deal().orderRow or []) == [10, 20, 11, 12]
