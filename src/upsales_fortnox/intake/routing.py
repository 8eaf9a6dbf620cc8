"""Which events become which sync jobs.

A supported event names one entity and becomes a job of the kind below (coalesced per entity
while queued). Asynchronous events of other types are acknowledged and dropped; see
:mod:`upsales_fortnox.intake.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from upsales_fortnox.vocabulary import JobKind, LinkEntity


@dataclass(frozen=True)
class Route:
    """Where events of one type go: the entity they name and the job that syncs it."""

    entity: str
    job_kind: str


#: Upsales app-hook and trigger events that start a sync, by event type.
UPSALES_ROUTES: Final[dict[str, Route]] = {
    "after_order_insert": Route(LinkEntity.ORDER.value, JobKind.UPSALES_ORDER),
    "after_order_update": Route(LinkEntity.ORDER.value, JobKind.UPSALES_ORDER),
    # the deal's job finds it gone: its Fortnox document is left, and said to be (deleted_deal)
    "after_order_delete": Route(LinkEntity.ORDER.value, JobKind.UPSALES_ORDER),
    "after_client_insert": Route(LinkEntity.COMPANY.value, JobKind.UPSALES_COMPANY),
    "after_client_update": Route(LinkEntity.COMPANY.value, JobKind.UPSALES_COMPANY),
}

#: Prefix of Upsales' asynchronous "something happened" events. Those not in
#: :data:`UPSALES_ROUTES` (contacts, activities, a company's delete, ...) are acknowledged and
#: ignored.
UPSALES_AFTER_EVENT_PREFIX: Final = "after_"

#: Upsales app-hook types that ask a question and wait for the answer (validation before an order
#: is saved, an order's sync status, which price lists apply, which fields are synced). They are
#: answered by a registered responder (:mod:`upsales_fortnox.intake.hook_answers`); these are the
#: ones the Fortnox app registers (reference upsales.md §7).
UPSALES_SYNCHRONOUS_EVENTS: Final = frozenset(
    {"before_order_save", "app_status_order", "limit_pricelists", "show_field_sync"}
)

#: Fortnox events are classified by topic and type in :mod:`upsales_fortnox.intake.fortnox_events`.


def is_upsales_after_event(event_type: str) -> bool:
    return event_type.startswith(UPSALES_AFTER_EVENT_PREFIX)
