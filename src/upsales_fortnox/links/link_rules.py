"""Which links may exist: the Fortnox types an Upsales entity may be linked to, and the Upsales
ids a link can hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

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
