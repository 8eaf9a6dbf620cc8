"""Helpers shared by the entity modules: relations and custom field values."""

from __future__ import annotations

from typing import Any

from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import (
    read_int,
    read_ref_id,
    require_list,
    require_object,
)


def existing(customer: CustomerState, table: str, entity_id: int, field: str) -> JsonObject:
    """The entity ``field`` refers to; a reference to a missing entity is a 400."""
    entity = customer.table(table).get(entity_id)
    if entity is None:
        raise bad_request(f"{field}: no {table} entity with id {entity_id}")
    return entity


def read_relation(customer: CustomerState, value: Any, table: str, field: str) -> JsonObject | None:
    """Resolve ``{"id": n}`` to the stored entity (``None`` for ``null``)."""
    entity_id = read_ref_id(value, field)
    if entity_id is None:
        return None
    return existing(customer, table, entity_id, field)


def read_id_list(value: Any, field: str) -> list[int]:
    """``[{"id": 1}, {"id": 2}]`` → ``[1, 2]``."""
    ids: list[int] = []
    for index, item in enumerate(require_list(value, field)):
        entity_id = read_ref_id(item, f"{field}[{index}]")
        if entity_id is None:
            raise bad_request(f"{field}[{index}] must be an object with an id")
        ids.append(entity_id)
    return ids


def replace_custom_values(
    customer: CustomerState, entity: str, incoming: Any, field: str = "custom"
) -> list[JsonObject]:
    """The values an entity has after a request's ``custom[{fieldId, value}]``: exactly those
    sent. A ``custom`` array REPLACES the entity's values, so a value left out is gone.

    Whether real Upsales merges a partial array or replaces the whole one is *unverified*
    (reference upsales.md §7); replacing is the answer that punishes a client sending only the
    values it changed, so the sandbox takes it. ``null`` or ``""`` is no value; an unknown
    ``fieldId`` is a 400; values are stored as sent; a field sent twice keeps the last value.
    """
    fields = customer.custom_fields(entity)
    replaced: dict[int, JsonObject] = {}
    for index, raw in enumerate(require_list(incoming, field)):
        item = require_object(raw, f"{field}[{index}]")
        field_id = read_int(item.get("fieldId"), f"{field}[{index}].fieldId")
        if field_id not in fields:
            raise bad_request(f"{field}[{index}]: no custom field {field_id} on {entity}")
        value = item.get("value")
        if value is None or value == "":
            replaced.pop(field_id, None)
        else:
            replaced[field_id] = {"fieldId": field_id, "value": value}
    return list(replaced.values())
