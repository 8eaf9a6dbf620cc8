"""Contact persons (``/contacts``): only what orders refer to (``order.contact``)."""

from __future__ import annotations

from typing import Final

from ufs_sandboxes.upsales.entities.common import read_relation, replace_custom_values
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.values import missing_fields_error, read_flag, read_str

_TEXT_FIELDS: Final = ("name", "firstName", "lastName", "email", "phone", "cellPhone", "title")


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating:
        client = read_relation(ctx.customer, body.get("client"), "accounts", "client")
        if client is None:
            raise missing_fields_error("contact", ["client"])
        entity["client"] = {"id": client["id"], "name": client["name"]}
    for name in _TEXT_FIELDS:
        if name in body:
            entity[name] = read_str(body[name], name)
    if entity["name"] is None and (entity["firstName"] or entity["lastName"]):
        entity["name"] = " ".join(p for p in (entity["firstName"], entity["lastName"]) if p)
    if "active" in body:
        entity["active"] = read_flag(body["active"], "active")
    if "custom" in body:
        entity["custom"] = replace_custom_values(ctx.customer, "contact", body["custom"])
    return entity


def create_contact(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {
        "id": None,
        "name": None,
        "firstName": None,
        "lastName": None,
        "email": None,
        "phone": None,
        "cellPhone": None,
        "title": None,
        "client": None,
        "active": 1,
        "custom": [],
        "regDate": ctx.timestamp,
        "regBy": ctx.user_ref,
        "modDate": ctx.timestamp,
        "modBy": ctx.user_ref,
    }
    return _apply(ctx, entity, body, creating=True)


def update_contact(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    entity = dict(current)
    entity["modDate"] = ctx.timestamp
    entity["modBy"] = ctx.user_ref
    return _apply(ctx, entity, body, creating=False)


CONTACTS = EntityKind(
    table="contacts", label="Contact", create=create_contact, update=update_contact
)
