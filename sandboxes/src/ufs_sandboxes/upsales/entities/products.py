"""Products (``/products``): ``articleNo`` is unique, and products are never deleted.

Prices per currency are stored per price list (``priceListId``; None on an account without
price lists). As the collection shows (PM Products, "With price lists"), a request with
``usePriceLists=true`` sees every list's prices, each naming its list, and a write of
``currencies`` replaces them all; without it, a request sees the default list's prices, unnamed,
and a write puts its prices in the default list (what becomes of the other lists' prices is
*unverified*: see ``CustomerState.plain_price_writes_keep_other_lists``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ufs_sandboxes.upsales.entities.common import (
    existing,
    read_relation,
    replace_custom_values,
)
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.entities.price_lists import default_price_list_id
from ufs_sandboxes.upsales.errors import UpsalesApiError, bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import (
    missing_fields_error,
    read_decimal,
    read_flag,
    read_int,
    read_required_str,
    read_str,
    require_list,
    require_object,
)


def _read_bundle(ctx: WriteContext, value: Any, own_id: int | None) -> list[JsonObject]:
    items: list[JsonObject] = []
    for index, raw in enumerate(require_list(value, "bundle")):
        item = require_object(raw, f"bundle[{index}]")
        field = f"bundle[{index}]"
        product_id = read_int(item.get("productId"), f"{field}.productId", minimum=1)
        product = existing(ctx.customer, "products", product_id, f"{field}.productId")
        if product_id == own_id or product["bundle"]:
            raise bad_request(
                f"{field}.productId: a bundle cannot contain itself or another bundle"
            )
        quantity = item.get("quantity", 1)
        tier_quantity = item.get("tierQuantity", quantity)
        items.append(
            {
                "productId": product_id,
                "quantity": read_decimal(quantity, f"{field}.quantity"),
                "tierQuantity": read_decimal(tier_quantity, f"{field}.tierQuantity"),
            }
        )
    return items


def _price_list_of(ctx: WriteContext, item: JsonObject, field: str) -> int | None:
    """The list a price goes in: the one it names (with ``usePriceLists``), else the default."""
    default = default_price_list_id(ctx.customer)
    named = item.get("priceListId")
    if not ctx.use_price_lists or named is None or default is None:
        return default
    list_id = read_int(named, f"{field}.priceListId", minimum=1)
    existing(ctx.customer, "priceLists", list_id, f"{field}.priceListId")
    return list_id


def _read_currencies(ctx: WriteContext, value: Any) -> list[JsonObject]:
    prices: list[JsonObject] = []
    seen: set[tuple[int | None, str]] = set()
    for index, raw in enumerate(require_list(value, "currencies")):
        item = require_object(raw, f"currencies[{index}]")
        field = f"currencies[{index}]"
        currency = read_required_str(item.get("currency"), f"{field}.currency")
        if currency not in ctx.customer.currencies:
            raise bad_request(f"{field}.currency: {currency} is not a currency of this account")
        price_list_id = _price_list_of(ctx, item, field)
        if (price_list_id, currency) in seen:
            raise bad_request(f"{field}: a second {currency} price in one price list")
        seen.add((price_list_id, currency))
        max_discount = item.get("maxDiscount")
        prices.append(
            {
                "currency": currency,
                "price": read_decimal(item.get("price"), f"{field}.price"),
                "purchaseCost": read_decimal(item.get("purchaseCost", 0), f"{field}.purchaseCost"),
                "maxDiscount": None
                if max_discount is None
                else read_decimal(max_discount, f"{field}.maxDiscount"),
                "priceListId": price_list_id,
            }
        )
    return prices


def _written_currencies(
    ctx: WriteContext, current: list[JsonObject], value: Any
) -> list[JsonObject]:
    """The product's prices after a write of ``currencies``: with ``usePriceLists`` they replace
    every list's; without, the default list's, and the other lists' stay only if the customer
    says so."""
    written = _read_currencies(ctx, value)
    if ctx.use_price_lists or not ctx.customer.plain_price_writes_keep_other_lists:
        return written
    default = default_price_list_id(ctx.customer)
    return written + [entry for entry in current if entry["priceListId"] != default]


def render_product(
    customer: CustomerState, product: JsonObject, use_price_lists: bool
) -> JsonObject:
    """Every list's prices, each naming its list, with ``usePriceLists`` on an account with price
    lists; else the default list's (or the unlisted) prices without a list. With
    ``usePriceLists`` on an account without price lists the parameter is ignored (*unverified*)."""
    default = default_price_list_id(customer)
    entries: list[JsonObject] = product["currencies"]
    if use_price_lists and default is not None:
        shown = [  # the collection's entries with lists have no maxDiscount
            {name: value for name, value in entry.items() if name != "maxDiscount"}
            for entry in entries
        ]
    else:
        shown = [
            {name: value for name, value in entry.items() if name != "priceListId"}
            for entry in entries
            if entry["priceListId"] in (None, default)
        ]
    return {**product, "currencies": shown}


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating:
        missing = [name for name in ("name", "listPrice") if body.get(name) in (None, "")]
        if missing:
            raise missing_fields_error("product", missing)
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name")
    if creating or "listPrice" in body:
        entity["listPrice"] = read_decimal(body.get("listPrice"), "listPrice")
    if "articleNo" in body:
        article_no = read_str(body["articleNo"], "articleNo") or None
        owner = ctx.customer.product_id_by_article_no.get(article_no) if article_no else None
        if owner is not None and owner != entity["id"]:
            raise bad_request(f"articleNo: {article_no} is already used by product {owner}")
        entity["articleNo"] = article_no
    for name in ("purchaseCost", "bundlePriceAdjustment"):
        if name in body:
            entity[name] = read_decimal(body[name], name)
    for name in ("active", "isRecurring"):
        if name in body:
            entity[name] = read_flag(body[name], name)
    if "isMultiCurrency" in body:
        entity["isMultiCurrency"] = read_flag(body["isMultiCurrency"], "isMultiCurrency")
    if "sortId" in body:
        entity["sortId"] = read_int(body["sortId"], "sortId")
    if "recurringInterval" in body:
        interval = body["recurringInterval"]
        entity["recurringInterval"] = (
            None if interval is None else read_int(interval, "recurringInterval")
        )
    if "description" in body:
        entity["description"] = read_str(body["description"], "description")
    if "category" in body:
        category = read_relation(ctx.customer, body["category"], "productCategories", "category")
        entity["category"] = (
            None if category is None else {"id": category["id"], "name": category["name"]}
        )
    if "bundle" in body:
        entity["bundle"] = _read_bundle(ctx, body["bundle"], entity["id"])
    if "currencies" in body:
        entity["currencies"] = _written_currencies(ctx, entity["currencies"], body["currencies"])
    if "tiers" in body:
        entity["tiers"] = require_list(body["tiers"], "tiers")
    if "custom" in body:
        entity["custom"] = replace_custom_values(ctx.customer, "product", body["custom"])
    return entity


def create_product(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {
        "id": None,
        "name": None,
        "listPrice": None,
        "articleNo": None,
        "purchaseCost": Decimal(0),
        "active": 1,
        "category": None,
        "description": None,
        "sortId": 0,
        "isMultiCurrency": 0,
        "isRecurring": 0,
        "recurringInterval": None,
        "custom": [],
        "currencies": [],
        "tiers": [],
        "bundle": [],
        "bundlePriceAdjustment": Decimal(1),
    }
    return _apply(ctx, entity, body, creating=True)


def update_product(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    return _apply(ctx, dict(current), body, creating=False)


def _index_article_no(
    customer: CustomerState, old: JsonObject | None, new: JsonObject | None
) -> None:
    index = customer.product_id_by_article_no
    if old is not None and old["articleNo"] and index.get(old["articleNo"]) == old["id"]:
        del index[old["articleNo"]]
    if new is not None and new["articleNo"]:
        index[new["articleNo"]] = new["id"]


def _refuse_delete(ctx: WriteContext, product: JsonObject) -> None:
    raise UpsalesApiError(400, "Products cannot be deleted; set active to 0 instead")


PRODUCTS = EntityKind(
    table="products",
    label="Product",
    create=create_product,
    update=update_product,
    check_delete=_refuse_delete,
    after_change=_index_article_no,
    item_metadata_null=True,
    render=render_product,
)
