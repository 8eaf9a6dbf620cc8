"""What a write needs to know: the customer, the acting user, the time and how prices are named."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.timefmt import format_date, format_timestamp


def user_summary(user: JsonObject) -> JsonObject:
    """How Upsales embeds a user (``regBy``, ``order.user``): ``{id, name, email}``."""
    return {"id": user["id"], "name": user["name"], "email": user["email"]}


@dataclass(frozen=True)
class WriteContext:
    customer: CustomerState
    user: JsonObject
    now: float
    use_price_lists: bool = False
    """The request carried ``usePriceLists=true``: prices name their price list."""

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.now)

    @property
    def today(self) -> str:
        return format_date(self.now)

    @cached_property
    def user_ref(self) -> JsonObject:
        return user_summary(self.user)
