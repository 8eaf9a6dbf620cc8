"""Accounts (companies, ``/accounts``)."""

from __future__ import annotations

from typing import Any, Final

from ufs_sandboxes.upsales.entities.common import (
    existing,
    read_id_list,
    read_relation,
    replace_custom_values,
)
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import (
    read_decimal,
    read_flag,
    read_required_str,
    read_str,
    require_list,
    require_object,
)

ADDRESS_TYPES: Final = frozenset(
    {"Visit", "Mail", "Postal", "Billing", "Invoice", "Delivery", "Other"}
)
"""Accepted ``addresses[].type``. ``Visit`` and ``Mail`` appear in Upsales' examples, the rest in
the SDK's enum; whether invoice addresses are ``Invoice`` or ``Billing`` is *unverified*, so both
are accepted."""

_TEXT_FIELDS: Final = ("orgNo", "phone", "fax", "webpage", "notes", "about", "journeyStep")
_ADDRESS_TEXT_FIELDS: Final = ("address", "zipcode", "city", "state", "country")


def _read_address(value: Any, field: str) -> JsonObject:
    raw = require_object(value, field)
    address_type = read_str(raw.get("type"), f"{field}.type", required=True)
    if address_type not in ADDRESS_TYPES:
        raise bad_request(f"{field}.type must be one of {', '.join(sorted(ADDRESS_TYPES))}")
    address: JsonObject = {"type": address_type}
    for name in _ADDRESS_TEXT_FIELDS:
        address[name] = read_str(raw.get(name), f"{field}.{name}")
    for name in ("latitude", "longitude"):
        coordinate = raw.get(name)
        address[name] = None if coordinate is None else read_decimal(coordinate, f"{field}.{name}")
    return address


def _account_manager(customer: CustomerState, user_id: int, field: str) -> JsonObject:
    user = existing(customer, "users", user_id, field)
    return {"id": user["id"], "name": user["name"], "role": user["role"], "email": user["email"]}


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    customer = ctx.customer
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name", max_length=100)
    for name in _TEXT_FIELDS:
        if name in body:
            entity[name] = read_str(body[name], name)
    for name in ("active", "isExternal"):
        if name in body:
            entity[name] = read_flag(body[name], name)
    if "currency" in body:
        currency = read_str(body["currency"], "currency")
        if currency is not None and currency not in customer.currencies:
            raise bad_request(f"currency: {currency} is not a currency of this account")
        entity["currency"] = currency
    if "parent" in body:
        parent = read_relation(customer, body["parent"], "accounts", "parent")
        entity["parent"] = None if parent is None else {"id": parent["id"], "name": parent["name"]}
    if "users" in body:
        entity["users"] = [
            _account_manager(customer, user_id, f"users[{index}]")
            for index, user_id in enumerate(read_id_list(body["users"], "users"))
        ]
    if "addresses" in body:
        entity["addresses"] = [
            _read_address(item, f"addresses[{index}]")
            for index, item in enumerate(require_list(body["addresses"], "addresses"))
        ]
    if "mailAddress" in body:
        value = body["mailAddress"]
        entity["mailAddress"] = None if value is None else _read_address(value, "mailAddress")
    if "categories" in body:
        entity["categories"] = [{"id": i} for i in read_id_list(body["categories"], "categories")]
    if "projects" in body:
        entity["projects"] = [{"id": i} for i in read_id_list(body["projects"], "projects")]
    if "custom" in body:
        entity["custom"] = replace_custom_values(customer, "account", body["custom"])
    return entity


def create_account(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {
        "id": None,
        "name": None,
        "orgNo": None,
        "phone": None,
        "fax": None,
        "webpage": None,
        "notes": None,
        "about": None,
        "active": 1,
        "parent": None,
        "users": [],
        "addresses": [],
        "mailAddress": None,
        "custom": [],
        "categories": [],
        "projects": [],
        "isExternal": 0,
        "currency": ctx.customer.master_currency,
        "journeyStep": "lead",
        "regDate": ctx.timestamp,
        "regBy": ctx.user_ref,
        "modDate": ctx.timestamp,
    }
    return _apply(ctx, entity, body, creating=True)


def update_account(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    entity = dict(current)
    entity["modDate"] = ctx.timestamp
    return _apply(ctx, entity, body, creating=False)


def _delete_dependants(
    customer: CustomerState, old: JsonObject | None, new: JsonObject | None
) -> None:
    """Deleting a company deletes its contacts and orders (cascade is the sandbox's choice)."""
    if old is None or new is not None:
        return
    for table in ("contacts", "orders"):
        rows = customer.table(table)
        doomed = [
            row_id
            for row_id, row in rows.items()
            if (row.get("client") or {}).get("id") == old["id"]
        ]
        for row_id in doomed:
            del rows[row_id]


ACCOUNTS = EntityKind(
    table="accounts",
    label="Account",
    create=create_account,
    update=update_account,
    after_change=_delete_dependants,
    hook_entity="client",
)
