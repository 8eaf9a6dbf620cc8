"""How entities look on the wire: full entities and reduced list items, both with ``@url``."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from upsales_fortnox.sandbox.fortnox.fields import Entity
from upsales_fortnox.sandbox.fortnox.resources import articles, customers, pricelists, prices
from upsales_fortnox.sandbox.fortnox.resources.document_kinds import DOCUMENT_KINDS
from upsales_fortnox.sandbox.fortnox.tenant import Tenant

_KEY_FIELDS = {
    "customers": "CustomerNumber",
    "articles": "ArticleNumber",
    "pricelists": "Code",
    "orders": "DocumentNumber",
    "invoices": "DocumentNumber",
    "offers": "DocumentNumber",
}
_LIST_FIELDS: dict[str, Sequence[str]] = {
    "customers": customers.LIST_FIELDS,
    "articles": articles.LIST_FIELDS,
    "pricelists": pricelists.LIST_FIELDS,
    **{kind.collection: kind.list_fields for kind in DOCUMENT_KINDS},
}


def entity_url(base_url: str, collection: str, *keys: object) -> str:
    path = "/".join(quote(str(key), safe="") for key in keys)
    return f"{base_url}/3/{collection}/{path}"


def _shown(tenant: Tenant, collection: str, entity: Entity) -> Entity:
    """The stored entity plus the fields computed when shown."""
    if collection == "articles":
        return articles.with_sales_price(tenant, entity)
    if collection == "customers":
        return customers.customer_list_item_source(entity)
    return entity


def render(tenant: Tenant, collection: str, entity: Entity, base_url: str) -> Entity:
    """A full entity, as ``GET /3/{collection}/{key}`` shows it inside its wrapper."""
    url = entity_url(base_url, collection, entity[_KEY_FIELDS[collection]])
    view: Entity = {"@url": url}
    view.update(articles.with_sales_price(tenant, entity) if collection == "articles" else entity)
    return view


def render_list_item(tenant: Tenant, collection: str, entity: Entity, base_url: str) -> Entity:
    source = _shown(tenant, collection, entity)
    item: Entity = {"@url": entity_url(base_url, collection, entity[_KEY_FIELDS[collection]])}
    for name in _LIST_FIELDS[collection]:
        item[name] = source.get(name)
    return item


def render_price(price: Entity, base_url: str) -> Entity:
    url = entity_url(
        base_url, "prices", price["PriceList"], price["ArticleNumber"], price["FromQuantity"]
    )
    view: Entity = {"@url": url}
    view.update(price)
    return view


def render_price_list_item(price: Entity, base_url: str) -> Entity:
    item = render_price(price, base_url)
    return {name: item[name] for name in ("@url", *prices.LIST_FIELDS)}
