"""The ``links`` table: its one writer, and the lookups of one installation's links (a session
at a time, :class:`LinkStore`). Reads of many links at once are in :mod:`.link_reads`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Final, Protocol, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.link_view import LinkFields, LinkView
from upsales_fortnox.domain.outbound.deal_documents import SENT_AS
from upsales_fortnox.links.errors import LinkConflict, LinkedMeanwhile
from upsales_fortnox.links.link_rules import FORTNOX_TYPES_BY_ENTITY, storable_upsales_id
from upsales_fortnox.links.repository.document_intents import search_before_creating
from upsales_fortnox.models.fortnox_ids import kept_fortnox_id
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

IDS_PER_QUERY: Final = 1000
"""Ids a lookup sends in one ``IN`` list (PostgreSQL's driver takes 32,767 parameters)."""


class _StoredLink(Protocol):
    """A stored link's columns: a :class:`Link`, or a row selecting them."""

    @property
    def entity(self) -> str: ...
    @property
    def upsales_id(self) -> int: ...
    @property
    def fortnox_type(self) -> str: ...
    @property
    def fortnox_id(self) -> str: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def synced_fields(self) -> Mapping[str, Any] | None: ...


def link_view(link: _StoredLink) -> LinkView:
    """The stored link (or a row of its columns) as the sync sees it."""
    return LinkView(
        entity=LinkEntity(link.entity),
        upsales_id=link.upsales_id,
        fortnox_type=FortnoxType(link.fortnox_type),
        fortnox_id=link.fortnox_id,
        fingerprint=link.fingerprint,
        synced_fields=dict(link.synced_fields) if link.synced_fields is not None else None,
    )


_LINKS = cast(Table, Link.__table__)
_SAVED_COLUMNS = (
    "installation_id", "entity", "upsales_id", "fortnox_type", "fortnox_id", "fingerprint",
    "synced_fields", "synced_at",
)  # fmt: skip


def _upsert_link_statement(insert: Any, *, with_synced_fields: bool, load: bool) -> Any:
    """Built once per dialect and variant: building the statement costs more than running it.
    A ``synced_fields`` of ``None`` is stored as SQL NULL by the variant without it. The
    ``load`` variant returns the saved :class:`Link` (for a session); the other returns
    nothing (for a plain connection)."""
    columns = [name for name in _SAVED_COLUMNS if with_synced_fields or name != "synced_fields"]
    statement = insert(Link if load else _LINKS).values(
        {name: bindparam(name, type_=_LINKS.c[name].type) for name in columns}
    )
    updated = ["fortnox_id", "fingerprint", "synced_at"]
    if with_synced_fields:
        updated.append("synced_fields")
    upsert = statement.on_conflict_do_update(
        index_elements=["installation_id", "entity", "upsales_id", "fortnox_type"],
        set_={name: statement.excluded[name] for name in updated},
    )
    return upsert.returning(Link) if load else upsert


_UPSERT_LINK = {
    (dialect, with_synced_fields, load): _upsert_link_statement(
        insert, with_synced_fields=with_synced_fields, load=load
    )
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
    for with_synced_fields in (False, True)
    for load in (False, True)
}


def _saved_values(
    installation_id: uuid.UUID,
    entity: LinkEntity,
    upsales_id: int,
    fortnox_type: FortnoxType,
    fortnox_id: str,
    fingerprint: str | None,
    synced_fields: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "installation_id": installation_id,
        "entity": entity.value,
        "upsales_id": upsales_id,
        "fortnox_type": fortnox_type.value,
        "fortnox_id": kept_fortnox_id(fortnox_id),
        "fingerprint": fingerprint,
        "synced_fields": dict(synced_fields) if synced_fields is not None else None,
        "synced_at": utcnow(),
    }


async def save_link(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    entity: LinkEntity,
    upsales_id: int,
    fortnox_type: FortnoxType,
    fortnox_id: str,
    fingerprint: str | None,
    *,
    synced_fields: Mapping[str, Any] | None = None,
) -> None:
    """:meth:`LinkStore.save` on a plain connection (the caller commits), for a caller that
    holds no session and needs nothing back: one statement, no objects loaded."""
    statement = _UPSERT_LINK[connection.dialect.name, synced_fields is not None, False]
    values = _saved_values(
        installation_id, entity, upsales_id, fortnox_type, fortnox_id, fingerprint, synced_fields
    )
    await connection.execute(statement, values)


async def remove_link(
    connection: AsyncConnection, installation_id: uuid.UUID, link: LinkView
) -> None:
    """Delete the link, if it still links its record to the same document (the caller
    commits)."""
    await connection.execute(
        delete(_LINKS).where(
            _LINKS.c.installation_id == installation_id,
            _LINKS.c.entity == link.entity.value,
            _LINKS.c.upsales_id == link.upsales_id,
            _LINKS.c.fortnox_type == link.fortnox_type.value,
            _LINKS.c.fortnox_id == link.fortnox_id,
        )
    )


class LinkStore:
    """Links of one installation, within the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession, installation_id: uuid.UUID) -> None:
        self._session = session
        self._installation_id = installation_id

    async def by_upsales(
        self, entity: LinkEntity, upsales_id: int, fortnox_type: FortnoxType | None = None
    ) -> LinkView | None:
        """The first link made of the record (of ``fortnox_type``, when given)."""
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
        return link_view(link) if link else None

    async def all_of_upsales(self, entity: LinkEntity, upsales_id: int) -> list[LinkView]:
        """Every link of the record, in the order they were made."""
        if not storable_upsales_id(upsales_id):
            return []
        links = await self._session.scalars(
            select(Link)
            .where(
                Link.installation_id == self._installation_id,
                Link.entity == entity,
                Link.upsales_id == upsales_id,
            )
            .order_by(Link.id)
        )
        return [
            replace(link_view(link), saved_at=link.synced_at or link.created_at) for link in links
        ]

    async def by_fortnox(self, fortnox_type: FortnoxType, fortnox_id: str) -> LinkView | None:
        link = await self._session.scalar(
            select(Link).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )
        return link_view(link) if link else None

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
        """Their links' Fortnox ids, by Upsales id: a query per :data:`IDS_PER_QUERY` ids, so
        any number of them (a hook body's) stays within what the database takes."""
        wanted = list(dict.fromkeys(filter(storable_upsales_id, upsales_ids)))
        found: dict[int, str] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            part = wanted[start : start + IDS_PER_QUERY]
            rows = await self._session.execute(
                select(Link.upsales_id, Link.fortnox_id).where(
                    Link.installation_id == self._installation_id,
                    Link.entity == entity,
                    Link.fortnox_type == fortnox_type,
                    Link.upsales_id.in_(part),
                )
            )
            found.update({upsales_id: fortnox_id for upsales_id, fortnox_id in rows})
        return found

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
        when given; None leaves them as they are).

        One upsert; a link already loaded in the session is refreshed with the saved values.
        """
        dialect = self._session.get_bind().dialect.name
        statement = _UPSERT_LINK[dialect, synced_fields is not None, True]
        values = _saved_values(
            self._installation_id,
            entity,
            upsales_id,
            fortnox_type,
            fortnox_id,
            fingerprint,
            synced_fields,
        )
        saved = await self._session.scalar(
            statement, values, execution_options={"populate_existing": True}
        )
        assert saved is not None
        return link_view(saved)

    async def add(
        self, entity: LinkEntity, upsales_id: int, fortnox_type: FortnoxType, fortnox_id: str
    ) -> Link:
        """A new link set by hand (settling an ambiguous match, say), never synced yet: no
        fingerprint, so the next change on either side is synced in full.

        Raises :class:`ValueError` when the types do not pair (see
        :data:`~upsales_fortnox.links.link_rules.FORTNOX_TYPES_BY_ENTITY`),
        :class:`~upsales_fortnox.links.errors.LinkConflict` when the Upsales entity already has
        a link of this Fortnox type or the Fortnox entity is linked already, and
        :class:`~upsales_fortnox.links.errors.LinkedMeanwhile` when another transaction linked
        one side at the same moment (the caller rolls back).
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
        try:
            await self._session.flush()
        except IntegrityError as exc:  # a link made at the same moment by a sync job
            raise LinkedMeanwhile("one side was linked meanwhile; read again") from exc
        return link

    async def get(self, link_id: int) -> Link | None:
        return await self._one(Link.id == link_id)

    async def delete(self, link_id: int) -> bool:
        """Forget the link; False when this installation has no such link. An order's document
        stays in Fortnox, so the order is left to search for it before creating another
        (:func:`.document_intents.search_before_creating`)."""
        deleted = (
            await self._session.execute(
                delete(Link)
                .where(Link.installation_id == self._installation_id, Link.id == link_id)
                .returning(Link.entity, Link.upsales_id, Link.fortnox_type)
            )
        ).first()
        if deleted is None:
            return False
        if deleted.entity == LinkEntity.ORDER and deleted.fortnox_type in SENT_AS:
            await search_before_creating(
                await self._session.connection(),
                self._installation_id,
                deleted.upsales_id,
                FortnoxType(deleted.fortnox_type),
                utcnow(),
            )
        return True

    async def _one(self, *conditions: ColumnElement[bool]) -> Link | None:
        found: Link | None = await self._session.scalar(
            select(Link).where(Link.installation_id == self._installation_id, *conditions)
        )
        return found

    async def save_many(self, links: Iterable[LinkFields]) -> int:
        """:meth:`save` for many links in one statement (an insert that updates the Fortnox id
        and fingerprint of a link that exists; a second statement for those that keep synced
        fields); the number of links given.

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
                "fortnox_id": kept_fortnox_id(link.fortnox_id),
                "fingerprint": link.fingerprint,
                "synced_at": now,
            }
            if link.synced_fields is not None:
                rows[key]["synced_fields"] = dict(link.synced_fields)
        dialect = self._session.get_bind().dialect.name
        for with_synced_fields in (False, True):
            batch = [row for row in rows.values() if ("synced_fields" in row) is with_synced_fields]
            if batch:
                statement = _UPSERT_LINK[dialect, with_synced_fields, False]
                await self._session.execute(statement, batch)
        return len(rows)

    async def forget_fingerprint(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        """The link's content is written again on its next sync, even unchanged in Fortnox."""
        await self._session.execute(
            update(Link)
            .where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
            .values(fingerprint=None)
        )

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        await self._session.execute(
            delete(Link).where(
                Link.installation_id == self._installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )
