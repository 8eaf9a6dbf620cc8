"""An article's list price in the chosen Fortnox price list.

Fortnox's spec lists a price list's prices one article at a time
(``GET /3/prices/sublist/{PriceList}/{ArticleNumber}``: every from-quantity of that article),
so each article priced costs one call; nothing cheaper exists for a chosen list (see
:meth:`upsales_fortnox.integrations.fortnox.client.FortnoxClient.article_prices`). The list price is
the article's base price: the one from quantity 0, else from the lowest quantity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final

from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Price
from upsales_fortnox.integrations.ports import FortnoxPort

ZERO: Final = Decimal(0)


def base_price(prices: Iterable[Price]) -> Decimal | None:
    """The price at the lowest from-quantity (0 when the list has one); None for none."""
    best: tuple[Decimal, Decimal] | None = None
    for price in prices:
        if price.Price is None:
            continue
        quantity = price.FromQuantity if price.FromQuantity is not None else ZERO
        if best is None or quantity < best[0]:
            best = (quantity, price.Price)
    return None if best is None else best[1]


async def article_price(
    fortnox: FortnoxPort, price_list: str, article_number: str
) -> Decimal | None:
    """The article's base price in ``price_list`` (one call); None when the list has none."""
    return base_price(await fortnox.article_prices(price_list, article_number))


ListPrices = dict[str, list[Price]]
"""Price list code → one article's prices in it (empty: the list has none for it)."""


async def list_prices(
    fortnox: FortnoxPort, price_lists: Sequence[str], article_number: str
) -> ListPrices:
    """The article's prices in each of ``price_lists``: one call per distinct list."""
    return {
        code: await fortnox.article_prices(code, article_number)
        for code in dict.fromkeys(price_lists)
    }


async def chosen_price(
    fortnox: FortnoxPort, price_list: str | None, article_number: str
) -> Decimal | None:
    """The article's price as its sync takes it (one call): its base price in ``price_list``,
    or with no list chosen its ``SalesPrice`` (its price in Fortnox's default list); None when
    there is none, or the article is gone."""
    if price_list is not None:
        return await article_price(fortnox, price_list, article_number)
    try:
        article = await fortnox.get_article(article_number)
    except FortnoxNotFound:
        return None
    return article.SalesPrice


async def article_prices(
    fortnox: FortnoxPort, price_list: str, article_numbers: Sequence[str], *, concurrency: int
) -> dict[str, Decimal]:
    """Article number → base price, for the given articles that the list prices: one call per
    distinct article, ``concurrency`` at a time (the client paces them)."""
    semaphore = asyncio.Semaphore(concurrency)
    wanted = list(dict.fromkeys(article_numbers))

    async def one(number: str) -> Decimal | None:
        async with semaphore:
            return await article_price(fortnox, price_list, number)

    found = await asyncio.gather(*(one(number) for number in wanted))
    return {number: price for number, price in zip(wanted, found, strict=True) if price is not None}
