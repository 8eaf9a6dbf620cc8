"""The installation settings as the pure sync functions see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from upsales_fortnox.vocabulary import ProductBundleMode, SyncType


class StoredSettings(Protocol):
    """The stored settings row, as far as the sync reads it (the installation settings table)."""

    @property
    def sync_type(self) -> str: ...
    @property
    def placeholder_user(self) -> int | None: ...
    @property
    def won_stage(self) -> int | None: ...
    @property
    def lost_stage(self) -> int | None: ...
    @property
    def offer_stage(self) -> int | None: ...
    @property
    def price_list(self) -> str | None: ...
    @property
    def product_bundles(self) -> str: ...
    @property
    def payment_status(self) -> bool: ...
    @property
    def credit_invoices(self) -> bool: ...
    @property
    def document_links(self) -> bool: ...
    @property
    def stock_levels(self) -> bool: ...
    @property
    def currency_price_lists(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class SyncSettings:
    sync_type: SyncType = SyncType.INVOICE
    placeholder_user: int | None = None
    won_stage: int | None = None
    lost_stage: int | None = None
    offer_stage: int | None = None
    price_list: str | None = None
    product_bundles: ProductBundleMode = ProductBundleMode.ONLY_BUNDLE
    # --- payments and credits ---
    payment_status: bool = False
    credit_invoices: bool = False
    # --- end payments and credits ---
    # --- documents and stock (issue 11, parts 3-5) ---
    document_links: bool = False
    stock_levels: bool = False
    currency_price_lists: tuple[tuple[str, str], ...] = ()
    """(Upsales currency, Fortnox price list) pairs for currencies other than SEK."""
    # --- end documents and stock ---

    @classmethod
    def of(cls, row: StoredSettings | None) -> SyncSettings:
        if row is None:
            return cls()
        return cls(
            sync_type=SyncType(row.sync_type),
            placeholder_user=row.placeholder_user,
            won_stage=row.won_stage,
            lost_stage=row.lost_stage,
            offer_stage=row.offer_stage,
            price_list=row.price_list,
            product_bundles=ProductBundleMode(row.product_bundles),
            payment_status=bool(row.payment_status),
            credit_invoices=bool(row.credit_invoices),
            document_links=bool(row.document_links),
            stock_levels=bool(row.stock_levels),
            currency_price_lists=tuple(sorted((row.currency_price_lists or {}).items())),
        )


def product_extras_turned_on(before: SyncSettings, after: SyncSettings) -> bool:
    """Whether a settings change asks for the linked products' stock or currency prices to be
    written afresh: stock levels turned on, or a currency added or mapped to another price
    list. Turning either off, or dropping a currency, writes nothing (what was written stays,
    as it does in Upsales when the sync of a field stops)."""
    if after.stock_levels and not before.stock_levels:
        return True
    return bool(set(after.currency_price_lists) - set(before.currency_price_lists))


# --- the linked orders' fields (settings ``paymentStatus``, ``documentLinks``) ---
PAYMENT_STATUS: Final = "paymentStatus"
DOCUMENT_LINKS: Final = "documentLinks"


def order_fields_turned_on(before: SyncSettings, after: SyncSettings) -> tuple[str, ...]:
    """The settings a change turns on (false to true) whose fields every linked order is to
    get now, by their API names: ``documentLinks``, ``paymentStatus``. Turning one off writes
    nothing (what was written stays)."""
    turned: list[str] = []
    if after.document_links and not before.document_links:
        turned.append(DOCUMENT_LINKS)
    if after.payment_status and not before.payment_status:
        turned.append(PAYMENT_STATUS)
    return tuple(turned)


def order_fields_on(settings: SyncSettings) -> frozenset[str]:
    """Which of the linked orders' field settings are on."""
    on = {DOCUMENT_LINKS: settings.document_links, PAYMENT_STATUS: settings.payment_status}
    return frozenset(name for name, is_on in on.items() if is_on)
