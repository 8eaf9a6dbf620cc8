"""The data the sandbox holds: Upsales customers, their API keys and their entity tables."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ufs_sandboxes.upsales.jsonio import JsonObject

CUSTOM_FIELD_ENTITIES: tuple[str, ...] = (
    "account",
    "contact",
    "activity",
    "appointment",
    "order",
    "orderrow",
    "product",
    "project",
    "user",
    "agreement",
    "udo",
)
"""Entities that have ``/customfields/{entity}`` (reference §3)."""

ENTITY_TABLES: tuple[str, ...] = (
    "accounts",
    "contacts",
    "orders",
    "orderstages",
    "products",
    "productCategories",
    "priceLists",
    "users",
    *(f"customfields/{entity}" for entity in CUSTOM_FIELD_ENTITIES),
)
"""Every table a customer has, named by its REST collection path (without ``/api/v2/``)."""


def custom_field_table(entity: str) -> str:
    return f"customfields/{entity}"


@dataclass
class CustomerState:
    """One Upsales customer (an account of the CRM): its users, settings and entity tables.

    Entities are plain dicts with Upsales' field names, stored by id in insertion order (ids only
    grow, so that is also ascending id order). Stored dicts are never changed in place: a write
    stores a new dict, so a dict handed out earlier (a response, a hook body) stays as it was.
    """

    id: int
    name: str
    master_currency: str
    primary_api_key: str = ""
    tables: dict[str, dict[int, JsonObject]] = field(default_factory=dict)
    currencies: dict[str, JsonObject] = field(default_factory=dict)
    product_id_by_article_no: dict[str, int] = field(default_factory=dict)
    custom_filters_match_substrings: bool = False
    """Whether a ``custom=eq:fieldId:value`` filter keeps the entities whose value CONTAINS
    ``value`` (as ``src`` does) rather than equals it: *unverified*, no source says how Upsales
    compares custom values. Off (equal, case folded) by default; on gives the other answer."""
    bare_filter_values_split_on_commas: bool = False
    """Whether a filter value sent without a comparison type (``name=A, B``) is split on its
    commas into several values as one after a type is (``name=eq:A,B``): *unverified*, the
    collection documents several values only after a comparison type. Off (one value) by
    default; on gives the other answer."""
    plain_price_writes_keep_other_lists: bool = False
    """Whether a product write without ``usePriceLists`` keeps the prices of the price lists other
    than the default: *unverified*, the collection says only that a write with it must resend
    every list's prices. Off (they are dropped, the harmful answer) by default."""
    _next_ids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in ENTITY_TABLES:
            self.tables.setdefault(table, {})
        if not self.currencies:
            self.currencies[self.master_currency] = {
                "iso": self.master_currency,
                "rate": Decimal(1),
                "masterCurrency": True,
                "active": True,
            }

    def table(self, name: str) -> dict[int, JsonObject]:
        return self.tables[name]

    def next_id(self, sequence: str) -> int:
        """The next id of ``sequence``; custom fields of all entities share one sequence."""
        key = "customfields" if sequence.startswith("customfields/") else sequence
        value = self._next_ids.get(key, 1)
        self._next_ids[key] = value + 1
        return value

    def custom_fields(self, entity: str) -> dict[int, JsonObject]:
        return self.tables[custom_field_table(entity)]

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key: the customer it opens and the user its writes are attributed to."""

    key: str
    customer_id: int
    user_id: int


def new_api_key() -> str:
    return secrets.token_hex(32)


@dataclass
class SandboxState:
    customers: dict[int, CustomerState] = field(default_factory=dict)
    api_keys: dict[str, ApiKeyRecord] = field(default_factory=dict)
    next_customer_id: int = 1
