"""Product prices per currency (setting ``currencyPriceLists``).

The product's ``listPrice`` (the master currency, SEK) comes from the chosen price list
(``priceList``); each other currency's price comes from the Fortnox price list mapped to it, one
``GET /3/prices/sublist/{list}/{article}`` per list (the spec lists a price list's prices one
article at a time, so nothing reads them in bulk: see :mod:`.pricing`). Upsales holds them in
the product's ``currencies[{currency, price}]``; the write keeps every entry it does not own
(other currencies, purchase costs) and is skipped when the prices are already there.

On an account with more than one Upsales price list (the "Advanced Order Logic" add-on) each entry
belongs to one list (``priceListId``): the prices go into the default list's entries, and the
product is read and written with ``usePriceLists=true``, every list's entries resent as read (a
write replaces them all). With one list or none, requests stay plain (see
:data:`~upsales_fortnox.integrations.upsales.facts.PLAIN_PRICES_WITH_PRICE_LISTS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.models import Price
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesAuthError,
    UpsalesBadRequest,
    UpsalesNotFound,
)
from upsales_fortnox.integrations.upsales.models import (
    PriceList,
    Product,
    ProductCurrency,
    ProductDraft,
)
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


def price_list_written(lists: Sequence[PriceList]) -> int | None:
    """The Upsales price list whose prices the sync writes: None when the account has at most one
    (its products' prices are read and written plainly), else the default list's id."""
    if len(lists) <= 1:
        return None
    defaults = [price_list.id for price_list in lists if price_list.isDefault]
    if len(defaults) != 1:
        raise PermanentError(
            f"Upsales lists {len(lists)} price lists and {len(defaults)} defaults: "
            "no price list to write the currency prices into",
            code="no_default_price_list",
        )
    return defaults[0]


async def read_price_lists(upsales: UpsalesPort) -> list[PriceList]:
    """The account's price lists; a refused ``GET /priceLists`` is an account without price
    lists (facts: ``PRICE_LISTS_REFUSED_MEANS_NONE``)."""
    try:
        return await upsales.list_price_lists()
    except (UpsalesAuthError, UpsalesBadRequest, UpsalesNotFound):
        return []


async def read_price_list_written(upsales: UpsalesPort) -> int | None:
    """:func:`price_list_written` of the account's lists, read now (one call); the article
    events read them through :class:`~.price_list_cache.PriceListCache`."""
    return price_list_written(await read_price_lists(upsales))


def merged_currencies(
    current: Sequence[ProductCurrency] | None,
    prices: Mapping[str, Decimal],
    price_list_id: int | None,
) -> list[ProductCurrency] | None:
    """The product's ``currencies`` with ``prices`` put into the entries of ``price_list_id``
    (and those naming no list); None: every entry is the product's only price in its currency.
    Every other entry is kept as it is. None when nothing changes."""
    entries = list(current or ())
    named = {entry.priceListId for entry in entries if entry.priceListId is not None}
    if price_list_id is None and len(named) > 1:
        raise PermanentError(
            f"The product has prices in price lists {sorted(named)}, but Upsales lists at most "
            "one: its currency prices are not written, lest another list's be lost",
            code="unlisted_price_lists",
        )
    merged: list[ProductCurrency] = []
    pending = dict(prices)
    changed = False
    for entry in entries:
        code = entry.currency.upper()
        ours = price_list_id is None or entry.priceListId in (None, price_list_id)
        if ours and code in pending:
            price = pending.pop(code)
            changed = changed or entry.price is None or Decimal(entry.price) != price
            merged.append(entry.model_copy(update={"price": price}))
        else:
            merged.append(entry.model_copy())
    for code, price in pending.items():
        listed = {} if price_list_id is None else {"priceListId": price_list_id}
        merged.append(ProductCurrency(currency=code, price=price, **listed))
        changed = True
    return merged if changed else None


async def write_currency_prices(
    upsales: UpsalesPort,
    product_id: int,
    product: Product | None,
    prices: Mapping[str, Decimal],
    *,
    price_list_id: int | None,
) -> str:
    """``written`` or ``unchanged``. ``product`` as read plainly (None: just created);
    ``price_list_id`` the list written (:func:`price_list_written`): the product is then read
    and written with ``usePriceLists``."""
    with_lists = price_list_id is not None
    if with_lists:
        product = await upsales.get_product(product_id, use_price_lists=True)
    current = product.currencies if product is not None else None
    merged = merged_currencies(current, prices, price_list_id)
    if merged is None:
        return "unchanged"
    changes = ProductDraft(currencies=merged, isMultiCurrency=True)
    await upsales.update_product(product_id, changes, use_price_lists=with_lists)
    return "written"
