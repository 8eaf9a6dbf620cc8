"""Product categories (``/productCategories``)."""

from __future__ import annotations

from ufs_sandboxes.upsales.entities.common import existing, read_id_list
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import UpsalesApiError, bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.values import read_int, read_required_str

CATEGORY_IN_USE_KEY = "ProductOrChildCategoryExist"
CATEGORY_IN_USE_ERROR_CODE = 100
"""The error Upsales answers (403) when deleting a category that still has products or children
(Postman collection, product-category delete)."""


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name")
    if "parentId" in body:
        parent_id = body["parentId"]
        if parent_id in (None, 0):
            entity["parentId"] = 0
        else:
            parent_id = read_int(parent_id, "parentId", minimum=1)
            existing(ctx.customer, "productCategories", parent_id, "parentId")
            if parent_id == entity["id"]:
                raise bad_request("parentId: a category cannot be its own parent")
            entity["parentId"] = parent_id
    if "sortId" in body:
        entity["sortId"] = read_int(body["sortId"], "sortId")
    if "roles" in body:
        entity["roles"] = [{"id": i} for i in read_id_list(body["roles"], "roles")]
    return entity


def create_product_category(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {"id": None, "name": None, "parentId": 0, "sortId": 0, "roles": []}
    return _apply(ctx, entity, body, creating=True)


def update_product_category(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    return _apply(ctx, dict(current), body, creating=False)


def _refuse_delete_in_use(ctx: WriteContext, category: JsonObject) -> None:
    in_use = any(
        (product["category"] or {}).get("id") == category["id"]
        for product in ctx.customer.table("products").values()
    ) or any(
        child["parentId"] == category["id"]
        for child in ctx.customer.table("productCategories").values()
    )
    if in_use:
        raise UpsalesApiError(
            403,
            "The category has products or child categories",
            key=CATEGORY_IN_USE_KEY,
            error_code=CATEGORY_IN_USE_ERROR_CODE,
        )


PRODUCT_CATEGORIES = EntityKind(
    table="productCategories",
    label="Product category",
    create=create_product_category,
    update=update_product_category,
    check_delete=_refuse_delete_in_use,
)
