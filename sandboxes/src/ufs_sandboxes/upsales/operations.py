"""Create, update and delete, the same for every entity kind and every caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import not_found
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import require_object, trim_strings


def insert_entity(
    customer: CustomerState,
    kind: EntityKind,
    body: Mapping[str, Any],
    *,
    user: JsonObject,
    now: float,
    use_price_lists: bool = False,
) -> JsonObject:
    ctx = WriteContext(customer, user, now, use_price_lists)
    entity = kind.create(ctx, trim_strings(require_object(body, "The request body")))
    entity["id"] = customer.next_id(kind.table)
    customer.table(kind.table)[entity["id"]] = entity
    if kind.after_change is not None:
        kind.after_change(customer, None, entity)
    return entity


def update_entity(
    customer: CustomerState,
    kind: EntityKind,
    entity_id: int,
    body: Mapping[str, Any],
    *,
    user: JsonObject,
    now: float,
    use_price_lists: bool = False,
) -> JsonObject:
    current = customer.table(kind.table).get(entity_id)
    if current is None:
        raise not_found(f"{kind.label} {entity_id}")
    ctx = WriteContext(customer, user, now, use_price_lists)
    entity = kind.update(ctx, current, trim_strings(require_object(body, "The request body")))
    entity["id"] = entity_id
    customer.table(kind.table)[entity_id] = entity
    if kind.after_change is not None:
        kind.after_change(customer, current, entity)
    return entity


def delete_entity(
    customer: CustomerState, kind: EntityKind, entity_id: int, *, user: JsonObject, now: float
) -> JsonObject:
    """Delete and return the entity as it was."""
    current = customer.table(kind.table).get(entity_id)
    if current is None:
        raise not_found(f"{kind.label} {entity_id}")
    if kind.check_delete is not None:
        kind.check_delete(WriteContext(customer, user, now), current)
    del customer.table(kind.table)[entity_id]
    if kind.after_change is not None:
        kind.after_change(customer, current, None)
    return current


def parse_entity_id(text: str, label: str) -> int:
    """An id from the path; anything but a positive whole number is simply not found."""
    if not text.isdigit() or int(text) < 1:
        raise not_found(f"{label} {text}")
    return int(text)
