"""Which Fortnox registers the initial sync imports, in which order (pure).

Customers come first (documents need their companies), then articles with the chosen price
list's prices (documents need their products), then the documents the module imports
(``syncType``): invoices; orders; or offers then orders (so an order made from an offer joins
the offer's opportunity).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from upsales_fortnox.domain.identity import normalise_article_number
from upsales_fortnox.integrations.fortnox.facts import OFFER_SORT_KEY
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    Invoice,
    Offer,
    Order,
)
from upsales_fortnox.vocabulary import FortnoxType, SyncType


class Phase(StrEnum):
    CUSTOMERS = "customers"
    ARTICLES = "articles"
    OFFERS = "offers"
    ORDERS = "orders"
    INVOICES = "invoices"

    @property
    def is_document(self) -> bool:
        return self in DOCUMENT_PHASES


DOCUMENT_PHASES: Final = frozenset({Phase.OFFERS, Phase.ORDERS, Phase.INVOICES})

PHASE_MODELS: Final[dict[Phase, type[Entity]]] = {
    Phase.CUSTOMERS: Customer,
    Phase.ARTICLES: Article,
    Phase.OFFERS: Offer,
    Phase.ORDERS: Order,
    Phase.INVOICES: Invoice,
}

SORT_KEYS: Final = {
    Phase.CUSTOMERS: "customernumber",
    Phase.ARTICLES: "articlenumber",
    Phase.OFFERS: OFFER_SORT_KEY,
    Phase.ORDERS: "documentnumber",
    Phase.INVOICES: "documentnumber",
}
"""Ascending sort per register (each a value of the list operation's ``sortby`` enum in the
spec), so entities created during the import land on later pages."""

FORTNOX_TYPES: Final = {
    Phase.CUSTOMERS: FortnoxType.CUSTOMER,
    Phase.ARTICLES: FortnoxType.ARTICLE,
    Phase.OFFERS: FortnoxType.OFFER,
    Phase.ORDERS: FortnoxType.ORDER,
    Phase.INVOICES: FortnoxType.INVOICE,
}

LIST_FILTERS: Final = {Phase.ARTICLES: "active"}
"""The list operation's ``filter`` per register: only active articles are imported."""

_DOCUMENTS_BY_MODULE: Final = {
    SyncType.INVOICE: (Phase.INVOICES,),
    SyncType.ORDER: (Phase.ORDERS,),
    SyncType.ORDER_OFFER: (Phase.OFFERS, Phase.ORDERS),
}


def phases_for(sync_type: SyncType) -> tuple[Phase, ...]:
    return (Phase.CUSTOMERS, Phase.ARTICLES, *_DOCUMENTS_BY_MODULE[sync_type])


def entity_id(entity: Entity) -> str | None:
    """The Fortnox id a link names: customer number, article number, document number."""
    if isinstance(entity, Customer):
        return (entity.CustomerNumber or "").strip() or None
    if isinstance(entity, Article):
        return normalise_article_number(entity.ArticleNumber)
    number = getattr(entity, "DocumentNumber", None)
    return str(number) if number is not None else None
