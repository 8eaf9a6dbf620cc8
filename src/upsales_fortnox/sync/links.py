"""Reading and writing links between Upsales and Fortnox entities."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import FortnoxType, Link, LinkEntity
from upsales_fortnox.db.types import utcnow


@dataclass(frozen=True)
class LinkView:
    """A link as the pure sync functions see it (no session attached)."""

    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None

    @classmethod
    def of(cls, link: Link) -> LinkView:
        return cls(
            entity=LinkEntity(link.entity),
            upsales_id=link.upsales_id,
            fortnox_type=FortnoxType(link.fortnox_type),
            fortnox_id=link.fortnox_id,
            fingerprint=link.fingerprint,
        )


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


class LinkStore:
    """Links of one installation, within the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession, installation_id: uuid.UUID) -> None:
        self._session = session
        self._installation_id = installation_id

    async def by_upsales(
        self, entity: LinkEntity, upsales_id: int, fortnox_type: FortnoxType | None = None
    ) -> LinkView | None:
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
    ) -> LinkView:
        """Create the link, or update its Fortnox id and fingerprint."""
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
                synced_at=now,
            )
            self._session.add(link)
        else:
            link.fortnox_id = fortnox_id
            link.fingerprint = fingerprint
            link.synced_at = now
        await self._session.flush()
        return LinkView.of(link)

    async def save_many(self, links: Iterable[LinkFields]) -> int:
        """:meth:`save` for many links in one statement (an insert that updates the Fortnox id
        and fingerprint of a link that exists); the number of links given.

        Given twice, the same entity pair (entity, Upsales id, Fortnox type) is saved once, with
        the later values, as two calls of :meth:`save` would leave it. As with :meth:`save`, a
        Fortnox entity linked to another Upsales record already raises ``IntegrityError``.
        """
        now = utcnow()
        rows: dict[tuple[str, int, str], dict[str, Any]] = {}
        for link in links:
            key = (link.entity, link.upsales_id, link.fortnox_type)
            rows[key] = {
                "installation_id": self._installation_id,
                "entity": link.entity,
                "upsales_id": link.upsales_id,
                "fortnox_type": link.fortnox_type,
                "fortnox_id": link.fortnox_id,
                "fingerprint": link.fingerprint,
                "synced_at": now,
                "created_at": now,
            }
        if not rows:
            return 0
        await self._session.execute(_upsert(self._session), list(rows.values()))
        return len(rows)

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        await self._session.execute(
            delete(Link).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )


_LINK_PAIR = (Link.installation_id, Link.entity, Link.upsales_id, Link.fortnox_type)


def _upsert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    """``INSERT ... ON CONFLICT (the entity pair) DO UPDATE`` in the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(Link)
        return pg.on_conflict_do_update(
            index_elements=_LINK_PAIR,
            set_={
                "fortnox_id": pg.excluded.fortnox_id,
                "fingerprint": pg.excluded.fingerprint,
                "synced_at": pg.excluded.synced_at,
            },
        )
    if dialect == "sqlite":
        lite = sqlite.insert(Link)
        return lite.on_conflict_do_update(
            index_elements=_LINK_PAIR,
            set_={
                "fortnox_id": lite.excluded.fortnox_id,
                "fingerprint": lite.excluded.fingerprint,
                "synced_at": lite.excluded.synced_at,
            },
        )
    raise NotImplementedError(f"links are not stored in {dialect}")
