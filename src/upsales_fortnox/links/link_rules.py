"""Which links may exist: the Fortnox types an Upsales entity may be linked to, and the Upsales
ids a link can hold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from upsales_fortnox.integrations.fortnox.limits import MAX_ARTICLE_NUMBER_LENGTH
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

DOCUMENT_TYPES: Final = (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER)
_DOCUMENT_NUMBER: Final = re.compile(r"[1-9][0-9]*")


def fortnox_id_problem(fortnox_type: FortnoxType, fortnox_id: str) -> str | None:
    """Why ``fortnox_id`` cannot name a Fortnox entity of ``fortnox_type`` (None when it can):
    an order, invoice or offer is known by its document number, which the sync reads as a
    whole number, written as Fortnox writes it (ASCII digits, no leading zero). Only a customer
    number may be longer than an article number."""
    if fortnox_type is not FortnoxType.CUSTOMER and len(fortnox_id) > MAX_ARTICLE_NUMBER_LENGTH:
        return f"a Fortnox {fortnox_type} number is at most {MAX_ARTICLE_NUMBER_LENGTH} characters"
    if fortnox_type in DOCUMENT_TYPES and not _DOCUMENT_NUMBER.fullmatch(fortnox_id):
        return (
            f"a Fortnox {fortnox_type} is named by its document number (digits), not {fortnox_id!r}"
        )
    return None
