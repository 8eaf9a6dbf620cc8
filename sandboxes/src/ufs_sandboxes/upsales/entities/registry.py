"""Every entity kind by table name, and the order in which bulk seeds are applied."""

from __future__ import annotations

from typing import Final

from ufs_sandboxes.upsales.entities.accounts import ACCOUNTS
from ufs_sandboxes.upsales.entities.contacts import CONTACTS
from ufs_sandboxes.upsales.entities.custom_fields import CUSTOM_FIELD_KINDS
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.entities.order_stages import ORDER_STAGES
from ufs_sandboxes.upsales.entities.orders import ORDERS
from ufs_sandboxes.upsales.entities.price_lists import PRICE_LISTS
from ufs_sandboxes.upsales.entities.product_categories import PRODUCT_CATEGORIES
from ufs_sandboxes.upsales.entities.products import PRODUCTS
from ufs_sandboxes.upsales.entities.users import USERS

ENTITY_KINDS: Final[dict[str, EntityKind]] = {
    kind.table: kind
    for kind in (
        ACCOUNTS,
        CONTACTS,
        ORDERS,
        ORDER_STAGES,
        PRODUCTS,
        PRODUCT_CATEGORIES,
        PRICE_LISTS,
        USERS,
        *CUSTOM_FIELD_KINDS.values(),
    )
}

CURRENCIES: Final = "currencies"
"""Seed key for currencies (they are keyed by ``iso`` and have no entity kind)."""

SEED_ORDER: Final[tuple[str, ...]] = (
    "users",
    CURRENCIES,
    "orderstages",
    "productCategories",
    "priceLists",
    *(kind.table for kind in CUSTOM_FIELD_KINDS.values()),
    "products",
    "accounts",
    "contacts",
    "orders",
)
"""Seed kinds, each after the kinds its entities can refer to."""


def entity_kind(table: str) -> EntityKind:
    try:
        return ENTITY_KINDS[table]
    except KeyError:
        raise ValueError(
            f"Unknown entity kind {table!r}; known: {', '.join(ENTITY_KINDS)}"
        ) from None
