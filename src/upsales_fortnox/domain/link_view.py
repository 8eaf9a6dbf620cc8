"""A link as the sync sees it, apart from the database: :class:`LinkView`, which Fortnox types
an Upsales entity may be linked to, and which Upsales ids a link can hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from upsales_fortnox.vocabulary import MAX_UPSALES_ID, FortnoxType, LinkEntity


def storable_upsales_id(upsales_id: int) -> bool:
    """Whether the id fits the link tables; a larger one can never be linked."""
    return 1 <= upsales_id <= MAX_UPSALES_ID


FORTNOX_TYPES_BY_ENTITY: Final[Mapping[LinkEntity, tuple[FortnoxType, ...]]] = {
    LinkEntity.COMPANY: (FortnoxType.CUSTOMER,),
    LinkEntity.PRODUCT: (FortnoxType.ARTICLE,),
    LinkEntity.ORDER: (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER),
}
"""Which Fortnox types an Upsales entity may be linked to."""


@dataclass(frozen=True)
class LinkView:
    """A link as the pure sync functions see it (no session attached)."""

    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None
    synced_fields: Mapping[str, Any] | None = None


class LinkFields(Protocol):
    """What saving a link needs (a :class:`LinkView`, a ``SaveLink`` command)."""

    @property
    def entity(self) -> LinkEntity: ...
    @property
    def upsales_id(self) -> int: ...
    @property
    def fortnox_type(self) -> FortnoxType: ...
    @property
    def fortnox_id(self) -> str: ...
    @property
    def fingerprint(self) -> str | None: ...
