"""Products' stock and prices per currency (settings ``stockLevels``, ``currencyPriceLists``) for
many articles at once: the initial import's article pages
(:mod:`upsales_fortnox.sync.initial.import_articles`) and the refresh of the linked products once
either setting is turned on (:mod:`.extras_refresh`).

The rules and the writes are the article sync's (:mod:`.stock_sync`, :mod:`.currency_prices`);
what they need is read by :mod:`.article_reads`: the stock from the article's list item (no call)
or from Fortnox Lager (one call per article), the currency prices one call per article and price
list (the spec has no bulk read of a price list: see :mod:`.pricing`).

A write Upsales refuses (4xx) is that product's ``failed`` write, with its reason, and the other
writes go on; refused credentials end the run, as every write after would fail the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.stock import StockLevel
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.sync.inbound.currency_prices import (
    prices_by_currency,
    read_price_list_written,
    write_currency_prices,
)
from upsales_fortnox.sync.inbound.inbound_job import fields_by_alias
from upsales_fortnox.sync.inbound.pricing import ListPrices
from upsales_fortnox.sync.inbound.stock_sync import write_stock
from upsales_fortnox.sync.initial.import_outcomes import RUN_ENDING

STOCK: Final = "stock"
CURRENCY_PRICES: Final = "currency_prices"
FAILED: Final = "failed"
"""A write Upsales refused; the others are :func:`.stock_sync.write_stock`'s and
:func:`.currency_prices.write_currency_prices`' answers (``written``, ``unchanged``,
``no_field``)."""


@dataclass(frozen=True)
class ProductExtras:
    """Which of them the settings ask for."""

    stock: bool = False
    currency_lists: tuple[tuple[str, str], ...] = ()
    """(Upsales currency, Fortnox price list) pairs."""

    @classmethod
    def of(cls, settings: SyncSettings) -> ProductExtras:
        return cls(settings.stock_levels, settings.currency_price_lists)

    @property
    def wanted(self) -> bool:
        return self.stock or bool(self.currency_lists)

    @property
    def price_lists(self) -> list[str]:
        """The Fortnox price lists the currencies are priced from, each once."""
        return list(dict.fromkeys(code for _, code in self.currency_lists))


@dataclass(frozen=True)
class ExtrasWritten:
    """What became of one product's writes (kind → result), and why one was refused."""

    results: dict[str, str] = field(default_factory=dict)
    refused: str | None = None


class ExtrasWriter:
    """Writes the stock and currency prices the settings ask for onto one product at a time."""

    def __init__(
        self,
        upsales: UpsalesPort,
        extras: ProductExtras,
        field_ids: Mapping[str, int],
        price_list_id: int | None = None,
    ) -> None:
        self.extras = extras
        self._upsales = upsales
        self._field_ids = field_ids
        self._price_list_id = price_list_id

    @classmethod
    async def prepare(cls, upsales: UpsalesPort, extras: ProductExtras) -> ExtrasWriter:
        """With the product fields the stock goes into (one call, only when stock is on) and the
        Upsales price list the currency prices go into (one call, only when they are on)."""
        field_ids: dict[str, int] = {}
        if extras.stock:
            field_ids = fields_by_alias(await upsales.list_custom_fields("product"))
        price_list_id = None
        if extras.currency_lists:
            price_list_id = await read_price_list_written(upsales)
        return cls(upsales, extras, field_ids, price_list_id)

    async def write(
        self,
        product_id: int,
        product: Product | None,
        *,
        stock: StockLevel | None,
        prices: ListPrices,
    ) -> ExtrasWritten:
        """``product`` as read (None: just created, no values of its own yet); ``stock`` the
        article's (None: not read, nothing written), ``prices`` its prices per price list."""
        results: dict[str, str] = {}
        refused: list[str] = []
        if self.extras.stock and stock is not None:
            try:
                results[STOCK] = await write_stock(
                    self._upsales, product_id, product, self._field_ids, stock
                )
            except RUN_ENDING:
                raise
            except PermanentError as exc:
                results[STOCK] = FAILED
                refused.append(f"{STOCK}: {exc.code}: {exc.message}")
        if self.extras.currency_lists:
            by_currency = prices_by_currency(self.extras.currency_lists, prices)
            try:
                results[CURRENCY_PRICES] = await write_currency_prices(
                    self._upsales,
                    product_id,
                    product,
                    by_currency,
                    price_list_id=self._price_list_id,
                )
            except RUN_ENDING:
                raise
            except PermanentError as exc:
                results[CURRENCY_PRICES] = FAILED
                refused.append(f"{CURRENCY_PRICES}: {exc.code}: {exc.message}")
        return ExtrasWritten(results, "; ".join(refused) or None)
