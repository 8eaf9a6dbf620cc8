"""Reading and writing links between Upsales and Fortnox entities."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import FortnoxType, Link, LinkEntity
from upsales_fortnox.db.types import MAX_UPSALES_ID, utcnow


def storable_upsales_id(upsales_id: int) -> bool:
    """Whether the id fits the link tables; a larger one can never be linked."""
    return 1 <= upsales_id <= MAX_UPSALES_ID


FORTNOX_TYPES_BY_ENTITY: Final[Mapping[LinkEntity, tuple[FortnoxType, ...]]] = {
    LinkEntity.COMPANY: (FortnoxType.CUSTOMER,),
    LinkEntity.PRODUCT: (FortnoxType.ARTICLE,),
    LinkEntity.ORDER: (FortnoxType.ORDER, FortnoxType.INVOICE, FortnoxType.OFFER),
}
"""Which Fortnox types an Upsales entity may be linked to."""


class LinkConflict(Exception):
    """One side of a new link is linked already; ``existing_id`` is that link."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


@dataclass(frozen=True)
class LinkView:
    """A link as the pure sync functions see it (no session attached)."""

    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None
    synced_fields: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, link: Link) -> LinkView:
        return cls(
            entity=LinkEntity(link.entity),
            upsales_id=link.upsales_id,
            fortnox_type=FortnoxType(link.fortnox_type),
            fortnox_id=link.fortnox_id,
            fingerprint=link.fingerprint,
            synced_fields=dict(link.synced_fields) if link.synced_fields is not None else None,
        )


class LinkStore:
    """Links of one installation, within the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession, installation_id: uuid.UUID) -> None:
        self._session = session
        self._installation_id = installation_id

    async def by_upsales(
        self, entity: LinkEntity, upsales_id: int, fortnox_type: FortnoxType | None = None
    ) -> LinkView | None:
        if not storable_upsales_id(upsales_id):
            return None
        query = select(Link).where(
            Link.installation_id == self._installation_id,
            Link.entity == entity,
            Link.upsales_id == upsales_id,
        )
        if fortnox_type is not None:
            query = query.where(Link.fortnox_type == fortnox_type)
        link = (await self._session.scalars(query.order_by(Link.id))).first()
        return LinkView.of(link) if link else None

    async def by_fortnox(self, fortnox_type: FortnoxType, fortnox_id: str) -> LinkView | None:
        link = await self._session.scalar(
            select(Link).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )
        return LinkView.of(link) if link else None

    async def upsales_ids_by_fortnox(
        self, fortnox_type: FortnoxType, fortnox_ids: list[str]
    ) -> dict[str, int]:
        """Many lookups in one query (article numbers of an order's rows, say)."""
        if not fortnox_ids:
            return {}
        rows = await self._session.execute(
            select(Link.fortnox_id, Link.upsales_id).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id.in_(fortnox_ids),
            )
        )
        return {fortnox_id: upsales_id for fortnox_id, upsales_id in rows}

    async def fortnox_ids_by_upsales(
        self, entity: LinkEntity, fortnox_type: FortnoxType, upsales_ids: list[int]
    ) -> dict[int, str]:
        upsales_ids = [upsales_id for upsales_id in upsales_ids if storable_upsales_id(upsales_id)]
        if not upsales_ids:
            return {}
        rows = await self._session.execute(
            select(Link.upsales_id, Link.fortnox_id).where(
                Link.installation_id == self._installation_id,
                Link.entity == entity,
                Link.fortnox_type == fortnox_type,
                Link.upsales_id.in_(upsales_ids),
            )
        )
        return {upsales_id: fortnox_id for upsales_id, fortnox_id in rows}

    async def save(
        self,
        entity: LinkEntity,
        upsales_id: int,
        fortnox_type: FortnoxType,
        fortnox_id: str,
        fingerprint: str | None,
        *,
        synced_fields: Mapping[str, Any] | None = None,
    ) -> LinkView:
        """Create the link, or update its Fortnox id and fingerprint (and ``synced_fields``
        when given; None leaves them as they are)."""
        link = await self._session.scalar(
            select(Link).where(
                Link.installation_id == self._installation_id,
                Link.entity == entity,
                Link.upsales_id == upsales_id,
                Link.fortnox_type == fortnox_type,
            )
        )
        now = utcnow()
        if link is None:
            link = Link(
                installation_id=self._installation_id,
                entity=entity,
                upsales_id=upsales_id,
                fortnox_type=fortnox_type,
                fortnox_id=fortnox_id,
                fingerprint=fingerprint,
                synced_fields=dict(synced_fields) if synced_fields is not None else None,
                synced_at=now,
            )
            self._session.add(link)
        else:
            link.fortnox_id = fortnox_id
            link.fingerprint = fingerprint
            if synced_fields is not None:
                link.synced_fields = dict(synced_fields)
            link.synced_at = now
        await self._session.flush()
        return LinkView.of(link)

    async def add(
        self, entity: LinkEntity, upsales_id: int, fortnox_type: FortnoxType, fortnox_id: str
    ) -> Link:
        """A new link set by hand (settling an ambiguous match, say), never synced yet: no
        fingerprint, so the next change on either side is synced in full.

        Raises :class:`ValueError` when the types do not pair (see
        :data:`FORTNOX_TYPES_BY_ENTITY`) and :class:`LinkConflict` when the Upsales entity
        already has a link of this Fortnox type or the Fortnox entity is linked already.
        """
        if fortnox_type not in FORTNOX_TYPES_BY_ENTITY[entity]:
            raise ValueError(f"an Upsales {entity} cannot be linked to a Fortnox {fortnox_type}")
        for existing, side in (
            (
                await self._one(
                    Link.entity == entity,
                    Link.upsales_id == upsales_id,
                    Link.fortnox_type == fortnox_type,
                ),
                f"Upsales {entity} {upsales_id} is linked to a Fortnox {fortnox_type} already",
            ),
            (
                await self._one(Link.fortnox_type == fortnox_type, Link.fortnox_id == fortnox_id),
                f"Fortnox {fortnox_type} {fortnox_id} is linked already",
            ),
        ):
            if existing is not None:
                raise LinkConflict(side, existing.id)
        link = Link(
            installation_id=self._installation_id,
            entity=entity,
            upsales_id=upsales_id,
            fortnox_type=fortnox_type,
            fortnox_id=fortnox_id,
            fingerprint=None,
            synced_at=None,
        )
        self._session.add(link)
        await self._session.flush()
        return link

    async def get(self, link_id: int) -> Link | None:
        return await self._one(Link.id == link_id)

    async def delete(self, link_id: int) -> bool:
        """Forget the link; False when this installation has no such link."""
        deleted = await self._session.execute(
            delete(Link)
            .where(Link.installation_id == self._installation_id, Link.id == link_id)
            .returning(Link.id)
        )
        return deleted.first() is not None

    async def _one(self, *conditions: ColumnElement[bool]) -> Link | None:
        found: Link | None = await self._session.scalar(
            select(Link).where(Link.installation_id == self._installation_id, *conditions)
        )
        return found

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        await self._session.execute(
            delete(Link).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )
