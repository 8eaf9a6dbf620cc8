"""The ``document_link_keys`` table: each installation's document-link key salt, made on first
use and replaced by a rotation; and the one read of ``links`` a document's link needs."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.installation import DocumentLinkKey
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


def _new_salt() -> str:
    return secrets.token_urlsafe(32)


async def current_key(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> DocumentLinkKey:
    """The installation's key row, created (version 1) when it has none yet."""
    async with session_factory() as session:
        row = await session.get(DocumentLinkKey, installation_id)
        if row is not None:
            return row
        row = DocumentLinkKey(
            installation_id=installation_id, key_version=1, salt=_new_salt(), rotated_at=utcnow()
        )
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:  # made by another worker meanwhile: use that one
            await session.rollback()
            found = await session.get(DocumentLinkKey, installation_id)
            assert found is not None
            return found
        return row


async def stored_key(session: AsyncSession, installation_id: uuid.UUID) -> DocumentLinkKey | None:
    """The key row if one was ever made (no link exists without one)."""
    return await session.get(DocumentLinkKey, installation_id)


async def rotate_key(session: AsyncSession, installation_id: uuid.UUID) -> DocumentLinkKey:
    """A new salt and the next key version: every link made before stops working. The caller
    commits (and has checked that the installation exists). One statement, so rotations at
    once each take a version of their own (a row read, then written, would let two take one)."""
    connection = await session.connection()
    table = DocumentLinkKey.__table__
    statement = upsert_insert(connection.dialect.name, table).values(
        installation_id=installation_id, key_version=1, salt=_new_salt(), rotated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["installation_id"],
        set_={
            "key_version": table.c.key_version + 1,
            "salt": statement.excluded.salt,
            "rotated_at": statement.excluded.rotated_at,
        },
    )
    version = (await connection.execute(statement.returning(table.c.key_version))).scalar_one()
    row = await session.get(DocumentLinkKey, installation_id, populate_existing=True)
    assert row is not None and row.key_version == version
    return row


async def linked_to_an_order(
    session: AsyncSession, installation_id: uuid.UUID, kind: FortnoxType, number: str
) -> bool:
    """Whether the Fortnox document is linked to one of the installation's Upsales orders."""
    linked = await session.scalar(
        select(Link.id).where(
            Link.installation_id == installation_id,
            Link.entity == LinkEntity.ORDER.value,
            Link.fortnox_type == kind.value,
            Link.fortnox_id == number,
        )
    )
    return linked is not None
