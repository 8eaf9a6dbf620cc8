"""The description of one entity kind that the generic create/update/delete code follows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState

CreateEntity = Callable[[WriteContext, JsonObject], JsonObject]
"""Build a new entity (without ``id``) from a request body, or raise a 400."""
UpdateEntity = Callable[[WriteContext, JsonObject, JsonObject], JsonObject]
"""Build the updated entity from the stored one and a partial body, or raise a 400."""
CheckDelete = Callable[[WriteContext, JsonObject], None]
"""Raise when the entity may not be deleted."""
Render = Callable[[CustomerState, JsonObject, bool], JsonObject]
"""The stored entity as a request answers it; the flag: the request carried ``usePriceLists``."""
AfterChange = Callable[[CustomerState, JsonObject | None, JsonObject | None], None]
"""Keep indexes and dependants right after (old, new) was stored; ``new`` is None on delete."""


@dataclass(frozen=True)
class EntityKind:
    table: str
    label: str
    create: CreateEntity
    update: UpdateEntity
    check_delete: CheckDelete | None = None
    after_change: AfterChange | None = None
    hook_entity: str | None = None
    """``client``/``order``: the name in app-hook types (``after_client_update``)."""
    item_metadata_null: bool = False
    """Single-entity answers carry ``"metadata": null`` (products and price lists)."""
    render: Render | None = None
    """How answers show the stored entity (None: as stored)."""

    def shown(
        self, customer: CustomerState, entity: JsonObject, use_price_lists: bool
    ) -> JsonObject:
        return entity if self.render is None else self.render(customer, entity, use_price_lists)
