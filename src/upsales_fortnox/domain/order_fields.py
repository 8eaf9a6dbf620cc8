"""The refresh of the linked orders' fields once ``paymentStatus`` or ``documentLinks`` is turned
on (pure): which settings a refresh job is for, and which of an order's Fortnox documents its
link (``FORTNOX_DOCUMENT_URL``) opens."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

from upsales_fortnox.domain.sync_settings import DOCUMENT_LINKS, PAYMENT_STATUS
from upsales_fortnox.vocabulary import FortnoxType, SyncType

SETTINGS_SEPARATOR: Final = "+"
KNOWN_SETTINGS: Final = frozenset({DOCUMENT_LINKS, PAYMENT_STATUS})

_SHOWN_FIRST: Final[Mapping[SyncType, tuple[FortnoxType, ...]]] = {
    SyncType.INVOICE: (FortnoxType.INVOICE, FortnoxType.ORDER, FortnoxType.OFFER),
    SyncType.ORDER: (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER),
    SyncType.ORDER_OFFER: (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER),
}


def refresh_entity(settings: Collection[str]) -> str:
    """The refresh job's ``entity_id``: the settings it is for (``documentLinks+paymentStatus``),
    so a second request for the same ones while it is queued coalesces into it."""
    return SETTINGS_SEPARATOR.join(sorted(settings))


def refresh_settings(entity_id: str | None) -> frozenset[str]:
    """The settings a refresh job is for, read back from its ``entity_id`` (unknown names are
    left out)."""
    names = (entity_id or "").split(SETTINGS_SEPARATOR)
    return frozenset(name.strip() for name in names) & KNOWN_SETTINGS


def shown_document(
    documents: Mapping[FortnoxType, str], sync_type: SyncType
) -> tuple[FortnoxType, str] | None:
    """The document whose link an order carries: the kind its won deal is sent as (an invoice,
    or an order for the order sync types), else the other kinds by how far the deal has come.
    None when it has no linkable document."""
    for kind in _SHOWN_FIRST[sync_type]:
        number = documents.get(kind)
        if number is not None:
            return kind, number
    return None
