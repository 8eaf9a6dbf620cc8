"""Which settings changes refresh the linked products' stock and currency prices (pure)."""

from __future__ import annotations

import pytest

from upsales_fortnox.domain.sync_settings import SyncSettings, product_extras_turned_on

EUR_NOK = (("EUR", "EURO"), ("NOK", "NORGE"))


@pytest.mark.parametrize(
    ("before", "after", "turned_on"),
    [
        (SyncSettings(), SyncSettings(stock_levels=True), True),
        (SyncSettings(stock_levels=True), SyncSettings(stock_levels=True), False),
        (SyncSettings(stock_levels=True), SyncSettings(), False),  # off: nothing to write
        (SyncSettings(), SyncSettings(currency_price_lists=EUR_NOK), True),
        (
            SyncSettings(currency_price_lists=EUR_NOK),
            SyncSettings(currency_price_lists=EUR_NOK),
            False,
        ),
        (  # NOK dropped: what was written stays
            SyncSettings(currency_price_lists=EUR_NOK),
            SyncSettings(currency_price_lists=(("EUR", "EURO"),)),
            False,
        ),
        (  # EUR priced from another list now
            SyncSettings(currency_price_lists=EUR_NOK),
            SyncSettings(currency_price_lists=(("EUR", "EURO2"), ("NOK", "NORGE"))),
            True,
        ),
        (SyncSettings(price_list="A"), SyncSettings(price_list="B"), False),  # re-pricing's
    ],
)
def test_which_settings_changes_refresh_the_linked_products(
    before: SyncSettings, after: SyncSettings, turned_on: bool
) -> None:
    assert product_extras_turned_on(before, after) is turned_on
