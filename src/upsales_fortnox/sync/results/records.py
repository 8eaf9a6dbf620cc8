"""The Fortnox records a result names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.jobs.results import JsonObject, ResultShapeError, text
from upsales_fortnox.vocabulary import FortnoxType, fortnox_id_key

DOCUMENT_TYPES: Final = (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER)


@dataclass(frozen=True)
class FortnoxRef:
    """A Fortnox record: its type and number, recorded as ``{"fortnox_<type>": number}``."""

    fortnox_type: FortnoxType
    number: str

    @property
    def key(self) -> str:
        return fortnox_id_key(self.fortnox_type)

    def to_json(self) -> JsonObject:
        return {self.key: self.number}


def find_ref(data: Mapping[str, object], types: Iterable[FortnoxType]) -> FortnoxRef | None:
    """The one record of ``types`` that ``data`` names, if any."""
    found = [
        FortnoxRef(t, text(data, fortnox_id_key(t))) for t in types if fortnox_id_key(t) in data
    ]
    if len(found) > 1:
        raise ResultShapeError("the result names more than one record of the kind")
    return found[0] if found else None
