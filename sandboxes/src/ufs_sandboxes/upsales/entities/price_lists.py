"""Price lists (``/priceLists``); exactly one is the default once any exists."""

from __future__ import annotations

from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import read_bool, read_required_str, read_str


def default_price_list_id(customer: CustomerState) -> int | None:
    for price_list in customer.table("priceLists").values():
        if price_list["isDefault"]:
            return int(price_list["id"])
    return None


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name")
    if "code" in body:
        entity["code"] = read_str(body["code"], "code")
    if "active" in body:
        entity["active"] = read_bool(body["active"], "active")
    if "showDiscount" in body:
        entity["showDiscount"] = read_bool(body["showDiscount"], "showDiscount")
    if "isDefault" in body:
        is_default = read_bool(body["isDefault"], "isDefault")
        if not is_default and entity["isDefault"]:
            raise bad_request("isDefault: make another price list the default instead")
        entity["isDefault"] = is_default
    if creating and default_price_list_id(ctx.customer) is None:
        entity["isDefault"] = True
    return entity


def create_price_list(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {
        "id": None,
        "name": None,
        "code": None,
        "isDefault": False,
        "active": True,
        "showDiscount": False,
        "regDate": ctx.timestamp,
        "modDate": ctx.timestamp,
        "regBy": ctx.user["id"],
        "modBy": ctx.user["id"],
    }
    return _apply(ctx, entity, body, creating=True)


def update_price_list(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    entity = dict(current)
    entity["modDate"] = ctx.timestamp
    entity["modBy"] = ctx.user["id"]
    return _apply(ctx, entity, body, creating=False)


def _keep_one_default(
    customer: CustomerState, old: JsonObject | None, new: JsonObject | None
) -> None:
    """A list that became the default takes the flag from the previous default."""
    if new is None or not new["isDefault"] or (old is not None and old["isDefault"]):
        return
    table = customer.table("priceLists")
    for list_id, price_list in list(table.items()):
        if price_list["isDefault"] and list_id != new["id"]:
            table[list_id] = {**price_list, "isDefault": False}


def _refuse_delete_default(ctx: WriteContext, price_list: JsonObject) -> None:
    if price_list["isDefault"]:
        raise bad_request("The default price list cannot be deleted")


PRICE_LISTS = EntityKind(
    table="priceLists",
    label="Price list",
    create=create_price_list,
    update=update_price_list,
    check_delete=_refuse_delete_default,
    after_change=_keep_one_default,
    item_metadata_null=True,
)
