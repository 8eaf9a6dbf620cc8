"""Articles: ``/3/articles``. ``SalesPrice`` is read-only: the price (from quantity 0) on the
default price list, read from the price table whenever an article is shown."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import (
    ALLOWED_VAT_PERCENTS,
    DEFAULT_PRICE_LIST,
    DEFAULT_VAT_PERCENT,
)
from ufs_sandboxes.fortnox.fields import (
    BOOL,
    DECIMAL,
    TEXT,
    Entity,
    Field,
    Kind,
    Schema,
    apply_defaults,
    choice,
    parse_fields,
    read_only,
    shape_of,
    text,
    validation_error,
)
from ufs_sandboxes.fortnox.listing import ListSpec, number_key
from ufs_sandboxes.fortnox.tenant import Tenant
from ufs_sandboxes.fortnox.wire import Shape, Wire, WireField

TOPIC = "articles"
ARTICLE_NUMBER_CHARS = re.compile(r"[A-Za-z0-9\-+/_.]+")

FIELDS: Schema = {
    "ArticleNumber": Field(Kind.TEXT, max_length=50, allowed_chars=ARTICLE_NUMBER_CHARS),
    "Description": text(200, omit_empty=True),
    "SalesPrice": read_only(Kind.DECIMAL),
    "PurchasePrice": DECIMAL,
    "Unit": TEXT,
    "Active": BOOL,
    "StockGoods": BOOL,
    "QuantityInStock": DECIMAL,
    "ReservedQuantity": read_only(Kind.DECIMAL),
    "DisposableQuantity": read_only(Kind.DECIMAL),
    "StockValue": read_only(Kind.DECIMAL),
    "StockPlace": text(100),
    "VAT": DECIMAL,
    "Type": choice("STOCK", "SERVICE"),
    "EAN": text(30),
    "Housework": BOOL,
    "Manufacturer": text(50),
    "ManufacturerArticleNumber": text(50),
    "Note": text(10000),
    "SupplierNumber": TEXT,
    "WebshopArticle": BOOL,
    "Expired": BOOL,
}
SHAPE = shape_of(FIELDS)
_TEXT = WireField(Wire.STRING)
LIST_SHAPE: Shape = {
    "ArticleNumber": _TEXT,
    "Description": WireField(Wire.STRING, omit_empty=True),
    "DisposableQuantity": _TEXT,
    "EAN": _TEXT,
    "Housework": WireField(Wire.BOOLEAN),
    "PurchasePrice": _TEXT,
    "SalesPrice": _TEXT,
    "QuantityInStock": WireField(Wire.NUMBER),
    "ReservedQuantity": _TEXT,
    "StockPlace": _TEXT,
    "StockValue": _TEXT,
    "Unit": _TEXT,
    "VAT": _TEXT,
    "WebshopArticle": WireField(Wire.BOOLEAN),
}
"""The spec's ``ArticleListItem`` sends several amounts as text."""
_ZERO = Decimal(0)
_DEFAULTS: dict[str, Any] = {
    "PurchasePrice": _ZERO,
    "Active": True,
    "StockGoods": False,
    "QuantityInStock": _ZERO,
    "ReservedQuantity": _ZERO,
    "DisposableQuantity": _ZERO,
    "StockValue": _ZERO,
    "VAT": DEFAULT_VAT_PERCENT,
    "Type": "STOCK",
    "Housework": False,
    "WebshopArticle": False,
    "Expired": False,
}

LIST_SPEC = ListSpec(
    search_fields={
        "articlenumber": "ArticleNumber",
        "description": "Description",
        "ean": "EAN",
        "manufacturer": "Manufacturer",
        "manufacturerarticlenumber": "ManufacturerArticleNumber",
        "suppliernumber": "SupplierNumber",
    },
    filters={
        "active": lambda e, _today: e["Active"] is True,
        "inactive": lambda e, _today: e["Active"] is not True,
    },
    sort_keys={
        "articlenumber": lambda e: number_key(e["ArticleNumber"]),
        "quantityinstock": lambda e: e["QuantityInStock"],
        "reservedquantity": lambda e: e["ReservedQuantity"],
        "stockvalue": lambda e: e["StockValue"],
    },
    default_sort="articlenumber",  # spec, GET /3/articles: "lowest number appearing first"
)


def get_article(tenant: Tenant, number: str) -> Entity:
    article = tenant.articles.get(number)
    if article is None:
        raise errors.not_found(errors.ARTICLE_NOT_FOUND, "Kan inte hitta artikeln.")
    return article


def sales_price(tenant: Tenant, article_number: str) -> Decimal:
    tiers = tenant.prices.get(DEFAULT_PRICE_LIST, {}).get(article_number)
    if not tiers:
        return _ZERO
    base = tiers.get(_ZERO)
    return base["Price"] if base is not None else _ZERO


def with_sales_price(tenant: Tenant, article: Entity) -> Entity:
    return {**article, "SalesPrice": sales_price(tenant, article["ArticleNumber"])}


def create_article(tenant: Tenant, payload: Entity) -> Entity:
    values = parse_fields(FIELDS, payload)
    if not values.get("Description"):
        raise validation_error("Artikeln måste ha en benämning (Description)")
    number = values.get("ArticleNumber")
    if number is None:
        number = str(tenant.next_number("articles", tenant.articles.items.__contains__))
    elif number in tenant.articles.items:
        raise validation_error(f"Artikelnummer {number} används redan")
    _validate(tenant, values)
    article = apply_defaults(FIELDS, _DEFAULTS)
    article.update(values)
    article["ArticleNumber"] = number
    article["SalesPrice"] = None
    _update_stock_figures(article)
    tenant.articles.put(number, article, tenant.now())
    tenant.emit(TOPIC, "article-created-v1", number)
    return article


def update_article(tenant: Tenant, number: str, payload: Entity) -> Entity:
    article = get_article(tenant, number)
    values = parse_fields(FIELDS, payload)
    if values.pop("ArticleNumber", number) != number:
        raise validation_error("Artikelnummer kan inte ändras")
    if "Description" in values and not values["Description"]:
        raise validation_error("Artikeln måste ha en benämning (Description)")
    _validate(tenant, values)
    article.update(values)
    _update_stock_figures(article)
    tenant.articles.touch(number, tenant.now())
    tenant.emit(TOPIC, "article-updated-v1", number)
    return article


def delete_article(tenant: Tenant, number: str) -> None:
    """Deleting an article also deletes its prices."""
    get_article(tenant, number)
    tenant.articles.delete(number)
    for table in tenant.prices.values():
        table.pop(number, None)
    tenant.emit(TOPIC, "article-deleted-v1", number)


def _validate(tenant: Tenant, values: Entity) -> None:
    unit = values.get("Unit")
    if unit is not None and unit not in tenant.units:
        raise validation_error(f"Enheten finns inte ({unit})")
    vat = values.get("VAT")
    if vat is not None and vat not in ALLOWED_VAT_PERCENTS:
        raise validation_error(f"Ogiltig momssats ({vat})")


def _update_stock_figures(article: Entity) -> None:
    in_stock: Decimal = article["QuantityInStock"] or _ZERO
    article["DisposableQuantity"] = in_stock - (article["ReservedQuantity"] or _ZERO)
    article["StockValue"] = in_stock * (article["PurchasePrice"] or _ZERO)
