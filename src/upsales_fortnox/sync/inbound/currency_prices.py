"""Product prices per currency (setting ``currencyPriceLists``).

The product's ``listPrice`` (the master currency, SEK) comes from the chosen price list
(``priceList``); each other currency's price comes from the Fortnox price list mapped to it, one
``GET /3/prices/sublist/{list}/{article}`` per list (the spec lists a price list's prices one
article at a time, so nothing reads them in bulk: see :mod:`.pricing`). Upsales holds them in
the product's ``currencies[{currency, price}]``; the write keeps every entry it does not own
(other currencies, purchase costs) and is skipped when the prices are already there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from upsales_fortnox.integrations.fortnox.models import Price
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.models import Product, ProductCurrency, ProductDraft
from upsales_fortnox.sync.inbound.pricing import base_price, list_prices


def prices_by_currency(
    lists: Sequence[tuple[str, str]], read: Mapping[str, Iterable[Price]]
) -> dict[str, Decimal]:
    """Currency → the article's base price in its list, from the article's prices ``read`` per
    list (currencies whose list has none, or was not read, are left out)."""
    found: dict[str, Decimal] = {}
    for currency, price_list in lists:
        price = base_price(read.get(price_list, ()))
        if price is not None:
            found[currency] = price
    return found


async def currency_prices(
    fortnox: FortnoxPort, lists: Sequence[tuple[str, str]], article_number: str
) -> dict[str, Decimal]:
    """Currency → the article's base price in its list: one call per distinct list."""
    read = await list_prices(fortnox, [code for _, code in lists], article_number)
    return prices_by_currency(lists, read)


def merged_currencies(
    current: Sequence[ProductCurrency] | None, prices: Mapping[str, Decimal]
) -> list[ProductCurrency] | None:
    """The product's ``currencies`` with ``prices`` put in; None when nothing changes."""
    merged: list[ProductCurrency] = []
    pending = dict(prices)
    changed = False
    for entry in current or ():
        code = entry.currency.upper()
        if code in pending:
            price = pending.pop(code)
            changed = changed or entry.price is None or Decimal(entry.price) != price
            merged.append(entry.model_copy(update={"price": price}))
        else:
            merged.append(entry.model_copy())
    for code, price in pending.items():
        merged.append(ProductCurrency(currency=code, price=price))
        changed = True
    return merged if changed else None


async def write_currency_prices(
    upsales: UpsalesPort, product_id: int, product: Product | None, prices: Mapping[str, Decimal]
) -> str:
    """``written`` or ``unchanged``."""
    current = product.currencies if product is not None else None
    merged = merged_currencies(current, prices)
    if merged is None:
        return "unchanged"
    await upsales.update_product(product_id, ProductDraft(currencies=merged, isMultiCurrency=True))
    return "written"
