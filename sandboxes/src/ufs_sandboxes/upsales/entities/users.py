"""Users (``/users`` to list, ``/master/users/{id}`` for the rest; never deleted)."""

from __future__ import annotations

from typing import Final

from ufs_sandboxes.upsales.entities.common import replace_custom_values
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import UpsalesApiError, bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import (
    read_flag,
    read_int,
    read_required_str,
    read_str,
    require_object,
)

API_USER_EMAIL_DOMAIN: Final = "api.upsales.com"
"""Writes made with an API key are attributed to a user whose email ends ``@api.upsales.com``."""

_FLAGS: Final = ("administrator", "teamLeader", "active", "ghost")


def new_user_entity(name: str, email: str) -> JsonObject:
    """A user with Upsales' defaults (not yet stored)."""
    return {
        "id": None,
        "name": name,
        "email": email,
        "administrator": 0,
        "role": None,
        "teamLeader": 0,
        "active": 1,
        "ghost": 0,
        "userTitle": None,
        "userPhone": None,
        "custom": [],
    }


def _ensure_unique_email(customer: CustomerState, email: str, own_id: int | None) -> None:
    for user in customer.table("users").values():
        if user["email"].lower() == email.lower() and user["id"] != own_id:
            raise bad_request(f"email: a user with email {email} already exists")


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name")
    if creating or "email" in body:
        email = read_required_str(body.get("email"), "email")
        if "@" not in email:
            raise bad_request("email must be an email address")
        _ensure_unique_email(ctx.customer, email, entity["id"])
        entity["email"] = email
    for name in _FLAGS:
        if name in body:
            entity[name] = read_flag(body[name], name)
    for name in ("userTitle", "userPhone"):
        if name in body:
            entity[name] = read_str(body[name], name)
    if "role" in body:
        role = body["role"]
        if role is None:
            entity["role"] = None
        else:
            role = require_object(role, "role")
            entity["role"] = {
                "id": read_int(role.get("id"), "role.id", minimum=1),
                "name": read_str(role.get("name"), "role.name"),
            }
    if "custom" in body:
        entity["custom"] = replace_custom_values(ctx.customer, "user", body["custom"])
    return entity


def create_user(ctx: WriteContext, body: JsonObject) -> JsonObject:
    return _apply(ctx, new_user_entity("", ""), body, creating=True)


def update_user(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    return _apply(ctx, dict(current), body, creating=False)


def _refuse_delete(ctx: WriteContext, entity: JsonObject) -> None:
    raise UpsalesApiError(400, "Users cannot be deleted; set active to 0")


USERS = EntityKind(
    table="users", label="User", create=create_user, update=update_user, check_delete=_refuse_delete
)
