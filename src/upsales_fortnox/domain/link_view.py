"""A link as the pure sync functions see it, apart from the database (:class:`LinkView`), and
what saving one needs (:class:`LinkFields`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


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
    @property
    def synced_fields(self) -> Mapping[str, Any] | None: ...
