"""How entities look on the wire: full entities and reduced list items, both with ``@url``,
each field in the spec's JSON type (see ``wire``)."""

from __future__ import annotations

from urllib.parse import quote

from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.resources import articles, customers, pricelists, prices
from ufs_sandboxes.fortnox.resources.document_kinds import DOCUMENT_KINDS
from ufs_sandboxes.fortnox.tenant import Tenant
from ufs_sandboxes.fortnox.wire import Shape, Wire, WireField
from ufs_sandboxes.fortnox.wire import render as _render

_KEY_FIELDS = {
    "customers": "CustomerNumber",
    "articles": "ArticleNumber",
    "pricelists": "Code",
    "orders": "DocumentNumber",
    "invoices": "DocumentNumber",
    "offers": "DocumentNumber",
}
SHAPES: dict[str, Shape] = {
    "customers": customers.SHAPE,
    "articles": articles.SHAPE,
    "pricelists": pricelists.SHAPE,
    **{kind.collection: kind.shape for kind in DOCUMENT_KINDS},
}
"""Full entity per collection (``GET /3/{collection}/{key}``)."""
LIST_SHAPES: dict[str, Shape] = {
    "customers": customers.LIST_SHAPE,
    "articles": articles.LIST_SHAPE,
    "pricelists": pricelists.LIST_SHAPE,
    **{kind.collection: kind.list_shape for kind in DOCUMENT_KINDS},
}
"""List item per collection (``GET /3/{collection}``)."""
_TEXT = WireField(Wire.STRING)
COMPANY_INFORMATION_SHAPE: Shape = {
    "Address": _TEXT,
    "City": _TEXT,
    "CountryCode": _TEXT,
    "DatabaseNumber": WireField(Wire.INTEGER),
    "CompanyName": _TEXT,
    "OrganizationNumber": _TEXT,
    "VisitAddress": _TEXT,
    "VisitCity": _TEXT,
    "VisitCountryCode": _TEXT,
    "VisitZipCode": _TEXT,
    "ZipCode": _TEXT,
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
    return {"@url": url, **_render(_shown(tenant, collection, entity), SHAPES[collection])}


def render_list_item(tenant: Tenant, collection: str, entity: Entity, base_url: str) -> Entity:
    url = entity_url(base_url, collection, entity[_KEY_FIELDS[collection]])
    return {"@url": url, **_render(_shown(tenant, collection, entity), LIST_SHAPES[collection])}


def render_price(price: Entity, base_url: str) -> Entity:
    url = entity_url(
        base_url, "prices", price["PriceList"], price["ArticleNumber"], price["FromQuantity"]
    )
    return {"@url": url, **_render(price, prices.SHAPE)}


def render_price_list_item(price: Entity, base_url: str) -> Entity:
    url = entity_url(
        base_url, "prices", price["PriceList"], price["ArticleNumber"], price["FromQuantity"]
    )
    return {"@url": url, **_render(price, prices.LIST_SHAPE)}


def render_company_information(values: Entity) -> Entity:
    return _render(values, COMPANY_INFORMATION_SHAPE)
