"""Writing values to an Upsales order's custom fields.

The order is read just before the write, which sends its whole ``custom`` array as read then
(:mod:`upsales_fortnox.integrations.upsales.custom_values`), changed only in the fields written,
and only when a value changed: a PUT may replace the whole array (facts.CUSTOM_PUT_REPLACES),
and a value the rep typed meanwhile must not be lost.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import CustomValue, OrderDraft

WRITTEN: Final = "written"
UNCHANGED: Final = "unchanged"
ORDER_MISSING: Final = "order_missing"


async def write_order_values(upsales: UpsalesPort, order_id: int, wanted: list[CustomValue]) -> str:
    """Put ``wanted`` in the order's custom fields: :data:`WRITTEN`, :data:`UNCHANGED` when it
    showed them all already (no write; an empty value is shown by a field without one, as
    Upsales keeps none for it), :data:`ORDER_MISSING` when Upsales no longer has it."""
    try:
        order = await upsales.get_order(order_id)
    except UpsalesNotFound:
        return ORDER_MISSING
    current = {item.fieldId: _shown(item.value) for item in order.custom or []}
    if all(current.get(item.fieldId, "") == _shown(item.value) for item in wanted):
        return UNCHANGED
    custom = with_custom_values(order.custom, wanted)
    await upsales.update_order(order_id, OrderDraft(custom=custom))
    return WRITTEN


def _shown(value: object) -> object:
    """A custom value as the order shows it: none and the empty text alike."""
    return "" if value is None else value
