"""Products (``/products``): ``articleNo`` is unique, and products are never deleted."""

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


def _read_currencies(ctx: WriteContext, value: Any) -> list[JsonObject]:
    prices: list[JsonObject] = []
    for index, raw in enumerate(require_list(value, "currencies")):
        item = require_object(raw, f"currencies[{index}]")
        field = f"currencies[{index}]"
        currency = read_required_str(item.get("currency"), f"{field}.currency")
        if currency not in ctx.customer.currencies:
            raise bad_request(f"{field}.currency: {currency} is not a currency of this account")
        max_discount = item.get("maxDiscount")
        prices.append(
            {
                "currency": currency,
                "price": read_decimal(item.get("price"), f"{field}.price"),
                "purchaseCost": read_decimal(item.get("purchaseCost", 0), f"{field}.purchaseCost"),
                "maxDiscount": None
                if max_discount is None
                else read_decimal(max_discount, f"{field}.maxDiscount"),
            }
        )
    return prices


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
        entity["currencies"] = _read_currencies(ctx, body["currencies"])
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
)
