"""Which of a product's prices per currency the sync writes, on Upsales accounts with and without
price lists: only the default list's, every other entry kept as it is."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any, cast

import pytest

from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound, UpsalesServerError
from upsales_fortnox.integrations.upsales.models import PriceList, ProductCurrency
from upsales_fortnox.sync.inbound.currency_prices import (
    merged_currencies,
    price_list_written,
    read_price_list_written,
)
from upsales_fortnox.sync.inbound.price_list_cache import (
    PRICE_LISTS_CACHE_SECONDS,
    PriceListCache,
)

D = Decimal
STANDARD, PARTNER = 1, 3


def _entry(currency: str, price: int, price_list_id: int | None = None) -> ProductCurrency:
    listed = {} if price_list_id is None else {"priceListId": price_list_id}
    return ProductCurrency(currency=currency, price=D(price), purchaseCost=D(0), **listed)


def _wire(entries: list[ProductCurrency] | None) -> list[dict[str, Any]]:
    assert entries is not None
    return [entry.to_wire() for entry in entries]


def test_with_price_lists_only_the_default_lists_entries_take_the_prices() -> None:
    current = [
        _entry("SEK", 1000, STANDARD),
        _entry("EUR", 100, STANDARD),
        _entry("SEK", 800, PARTNER),
        _entry("EUR", 80, PARTNER),
        _entry("NOK", 900, PARTNER),
    ]

    merged = merged_currencies(current, {"EUR": D(110), "NOK": D(1100)}, STANDARD)

    assert _wire(merged) == [
        {"currency": "SEK", "price": D(1000), "purchaseCost": D(0), "priceListId": STANDARD},
        {"currency": "EUR", "price": D(110), "purchaseCost": D(0), "priceListId": STANDARD},
        {"currency": "SEK", "price": D(800), "purchaseCost": D(0), "priceListId": PARTNER},
        {"currency": "EUR", "price": D(80), "purchaseCost": D(0), "priceListId": PARTNER},
        {"currency": "NOK", "price": D(900), "purchaseCost": D(0), "priceListId": PARTNER},
        {"currency": "NOK", "price": D(1100), "priceListId": STANDARD},  # new, in the default
    ]
    assert merged_currencies(merged, {"EUR": D(110), "NOK": D(1100)}, STANDARD) is None


def test_without_price_lists_entries_are_the_products_only_prices() -> None:
    current = [_entry("EUR", 100), _entry("NOK", 900)]

    merged = merged_currencies(current, {"EUR": D(110), "USD": D(12)}, None)

    assert _wire(merged) == [
        {"currency": "EUR", "price": D(110), "purchaseCost": D(0)},
        {"currency": "NOK", "price": D(900), "purchaseCost": D(0)},
        {"currency": "USD", "price": D(12)},  # no list named on a plain write
    ]
    one_list = [_entry("EUR", 100, STANDARD)]  # however a one-list account answers
    assert _wire(merged_currencies(one_list, {"EUR": D(110)}, None)) == [
        {"currency": "EUR", "price": D(110), "purchaseCost": D(0), "priceListId": STANDARD}
    ]


def test_a_plain_read_naming_two_lists_is_not_written() -> None:
    current = [_entry("EUR", 100, STANDARD), _entry("EUR", 80, PARTNER)]
    with pytest.raises(PermanentError) as refused:
        merged_currencies(current, {"EUR": D(110)}, None)
    assert refused.value.code == "unlisted_price_lists"


def _list(list_id: int, default: bool) -> PriceList:
    return PriceList(id=list_id, name=f"L{list_id}", isDefault=default)


def test_the_default_list_is_written_only_where_there_are_several() -> None:
    assert price_list_written([]) is None
    assert price_list_written([_list(STANDARD, True)]) is None
    assert price_list_written([_list(STANDARD, True), _list(PARTNER, False)]) == STANDARD
    assert price_list_written([_list(STANDARD, False), _list(PARTNER, True)]) == PARTNER
    with pytest.raises(PermanentError):
        price_list_written([_list(STANDARD, False), _list(PARTNER, False)])


class _Refusing:
    async def list_price_lists(self) -> list[PriceList]:
        raise UpsalesNotFound("Upsales GET /priceLists answered 404")


async def test_an_account_refusing_price_lists_has_none() -> None:
    assert await read_price_list_written(cast(UpsalesPort, _Refusing())) is None


class _Lists:
    """Counts ``GET /priceLists``; answers with the lists it holds, or fails when told to."""

    def __init__(self, *lists: PriceList) -> None:
        self.lists = list(lists)
        self.reads = 0
        self.failing = False

    async def list_price_lists(self) -> list[PriceList]:
        self.reads += 1
        await asyncio.sleep(0)  # a yield, no wait: the other jobs reach the cache meanwhile
        if self.failing:
            raise UpsalesServerError("Upsales GET /priceLists answered 503")
        return list(self.lists)


async def test_the_price_lists_are_read_once_until_the_read_is_old() -> None:
    now = [0.0]
    cache = PriceListCache(clock=lambda: now[0])
    upsales = _Lists(_list(STANDARD, True))
    port, installation = cast(UpsalesPort, upsales), uuid.uuid4()

    assert (
        await asyncio.gather(*(cache.written(installation, port) for _ in range(5))) == [None] * 5
    )
    upsales.lists.append(_list(PARTNER, False))  # a list added in Upsales
    now[0] = PRICE_LISTS_CACHE_SECONDS - 1
    assert await cache.written(installation, port) is None
    assert upsales.reads == 1

    now[0] = PRICE_LISTS_CACHE_SECONDS + 1
    assert await cache.written(installation, port) == STANDARD
    assert upsales.reads == 2
    assert await cache.written(uuid.uuid4(), port) == STANDARD  # another installation: its own
    assert upsales.reads == 3


async def test_a_failed_price_list_read_is_not_kept() -> None:
    cache = PriceListCache(clock=lambda: 0.0)
    upsales = _Lists(_list(STANDARD, True), _list(PARTNER, False))
    upsales.failing = True
    port, installation = cast(UpsalesPort, upsales), uuid.uuid4()
    with pytest.raises(UpsalesServerError):
        await cache.written(installation, port)
    upsales.failing = False
    assert await cache.written(installation, port) == STANDARD
    assert await cache.written(installation, port) == STANDARD
    assert upsales.reads == 2
