"""Custom field definitions (``/customfields/{entity}``); values live on entities as
``custom[{fieldId, value}]``, and deleting a field deletes its values."""

from __future__ import annotations

from typing import Final

from ufs_sandboxes.upsales.entities.common import read_id_list
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import (
    CUSTOM_FIELD_ENTITIES,
    CustomerState,
    custom_field_table,
)
from ufs_sandboxes.upsales.values import (
    missing_fields_error,
    read_flag,
    read_int,
    read_required_str,
    read_str,
)

DATATYPES: Final = frozenset(
    {
        "String",
        "Text",
        "Integer",
        "Currency",
        "Percent",
        "Discount",
        "Date",
        "Time",
        "Boolean",
        "Select",
        "MultiSelect",
        "Link",
        "Email",
        "User",
        "Users",
        "Calculation",
    }
)
"""Accepted ``datatype`` values. The reference names String, Integer and Currency "…"; the
rest are the usual Upsales field types and are *unverified*."""

VALUE_TABLES: Final[dict[str, str]] = {
    "account": "accounts",
    "contact": "contacts",
    "order": "orders",
    "product": "products",
    "user": "users",
}
"""Where the values of each entity's custom fields are stored (order rows live inside orders)."""


def _apply(
    ctx: WriteContext, entity_name: str, field: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating:
        missing = [name for name in ("name", "datatype") if not body.get(name)]
        if missing:
            raise missing_fields_error("custom field", missing)
    if creating or "name" in body:
        field["name"] = read_required_str(body.get("name"), "name")
    if creating or "datatype" in body:
        datatype = read_required_str(body.get("datatype"), "datatype")
        if datatype not in DATATYPES:
            raise bad_request(f"datatype must be one of {', '.join(sorted(DATATYPES))}")
        field["datatype"] = datatype
    if "alias" in body:
        alias = read_str(body["alias"], "alias") or None
        if alias is not None:
            for other in ctx.customer.custom_fields(entity_name).values():
                if other["alias"] == alias and other["id"] != field["id"]:
                    raise bad_request(
                        f"alias: {alias} is already used by custom field {other['id']}"
                    )
        field["alias"] = alias
    if "default" in body:
        field["default"] = body["default"]
    for name in ("visible", "editable", "obligatoryField"):
        if name in body:
            field[name] = read_flag(body[name], name)
    for name in ("sortId", "maxLength"):
        if name in body:
            field[name] = read_int(body[name], name, minimum=0)
    if "roles" in body:
        field["roles"] = [{"id": i} for i in read_id_list(body["roles"], "roles")]
    return field


def _remove_values(customer: CustomerState, entity_name: str, field_id: int) -> None:
    """Deleting a field deletes its data (reference §3)."""
    if entity_name == "orderrow":
        table = customer.table("orders")
        for order_id, order in list(table.items()):
            if any(
                item["fieldId"] == field_id for row in order["orderRow"] for item in row["custom"]
            ):
                rows = [
                    {**row, "custom": [i for i in row["custom"] if i["fieldId"] != field_id]}
                    for row in order["orderRow"]
                ]
                table[order_id] = {**order, "orderRow": rows}
        return
    table_name = VALUE_TABLES.get(entity_name)
    if table_name is None:
        return
    table = customer.table(table_name)
    for entity_id, entity in list(table.items()):
        if any(item["fieldId"] == field_id for item in entity["custom"]):
            table[entity_id] = {
                **entity,
                "custom": [i for i in entity["custom"] if i["fieldId"] != field_id],
            }


def custom_field_kind(entity_name: str) -> EntityKind:
    def create(ctx: WriteContext, body: JsonObject) -> JsonObject:
        field: JsonObject = {
            "id": None,
            "name": None,
            "alias": None,
            "datatype": None,
            "default": None,
            "visible": 1,
            "editable": 1,
            "obligatoryField": 0,
            "sortId": 0,
            "maxLength": 0,
            "roles": [],
        }
        return _apply(ctx, entity_name, field, body, creating=True)

    def update(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
        return _apply(ctx, entity_name, dict(current), body, creating=False)

    def after_change(
        customer: CustomerState, old: JsonObject | None, new: JsonObject | None
    ) -> None:
        if old is not None and new is None:
            _remove_values(customer, entity_name, old["id"])

    return EntityKind(
        table=custom_field_table(entity_name),
        label=f"Custom field ({entity_name})",
        create=create,
        update=update,
        after_change=after_change,
    )


CUSTOM_FIELD_KINDS: Final[dict[str, EntityKind]] = {
    entity_name: custom_field_kind(entity_name) for entity_name in CUSTOM_FIELD_ENTITIES
}
