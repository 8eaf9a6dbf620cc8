"""Custom-field writes that cannot erase other values.

Whether Upsales merges a partial ``custom`` array on PUT or replaces the entity's values with it
is not settled (:data:`upsales_fortnox.integrations.upsales.facts.CUSTOM_PUT_REPLACES`); its app
template edits the whole array and saves all of it. So every write sends the entity's whole
``custom`` array as read, changed only where we mean to: right under either answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from upsales_fortnox.integrations.upsales.models import CustomValue


def with_custom_values(
    current: Iterable[CustomValue] | None, changes: Iterable[CustomValue]
) -> list[CustomValue]:
    """``current`` (the entity's values as read, in their order and with every field they
    carry) with each of ``changes`` put in by ``fieldId``: replacing the value it had, or
    appended when it had none. An empty ``value`` ("") clears a field."""
    wanted = {change.fieldId: change for change in changes}
    merged: list[CustomValue] = []
    for item in current or ():
        if item.fieldId in wanted:
            merged.append(item.model_copy(update={"value": wanted.pop(item.fieldId).value}))
        else:
            merged.append(item.model_copy())
    merged.extend(wanted.values())
    return merged
