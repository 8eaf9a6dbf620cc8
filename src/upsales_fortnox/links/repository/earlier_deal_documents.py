"""The ``earlier_deal_documents`` table: the documents a won deal had before it was won again.

A deal won again after its document ended (cancelled, or credited in full) gets a new document,
whose link takes the ended one's in place (one link per deal and type). The ended one is kept
here (:func:`keep_earlier`), so its later events still find the deal: should it live again (its
credit cancelled), it is marked live beside the deal's document, and takes the deal's link back
once that has ended (:func:`take_deal_back`), so the deal goes to lost only once none lives.
Each function runs on a connection whose caller commits."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.links.repository.links import save_link
from upsales_fortnox.models.link import EarlierDealDocument
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

_EARLIER = cast(Table, EarlierDealDocument.__table__)
_COLUMNS = (
    _EARLIER.c.upsales_id,
    _EARLIER.c.fortnox_type,
    _EARLIER.c.fortnox_id,
    _EARLIER.c.fingerprint,
    _EARLIER.c.synced_fields,
)


def _view(row: Any) -> LinkView:
    return LinkView(
        entity=LinkEntity.ORDER,
        upsales_id=row.upsales_id,
        fortnox_type=FortnoxType(row.fortnox_type),
        fortnox_id=row.fortnox_id,
        fingerprint=row.fingerprint,
        synced_fields=row.synced_fields,
    )


async def keep_earlier(
    connection: AsyncConnection, installation_id: uuid.UUID, link: LinkView
) -> None:
    """Keep the deal's order link ``link`` as an earlier document of its deal (its link is about
    to be taken by the deal's new document of its type)."""
    values = {
        "installation_id": installation_id,
        "fortnox_type": link.fortnox_type.value,
        "fortnox_id": link.fortnox_id,
        "upsales_id": link.upsales_id,
        "fingerprint": link.fingerprint,
        "synced_fields": dict(link.synced_fields) if link.synced_fields is not None else None,
        "set_aside_at": utcnow(),
    }
    statement = upsert_insert(connection.dialect.name, _EARLIER).values(values)
    kept = {name: statement.excluded[name] for name in ("upsales_id", "fingerprint")}
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["installation_id", "fortnox_type", "fortnox_id"], set_=kept
        )
    )


async def earlier_document(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    fortnox_type: FortnoxType,
    fortnox_id: str,
) -> LinkView | None:
    """The document as an earlier document of a deal (as an order link), if it is one."""
    row = (
        await connection.execute(
            select(*_COLUMNS).where(
                _EARLIER.c.installation_id == installation_id,
                _EARLIER.c.fortnox_type == fortnox_type.value,
                _EARLIER.c.fortnox_id == fortnox_id,
            )
        )
    ).first()
    return _view(row) if row is not None else None


async def earlier_documents_of(
    connection: AsyncConnection, installation_id: uuid.UUID, upsales_id: int
) -> list[LinkView]:
    """The deal's earlier documents (as order links), the one set aside last first."""
    rows = await connection.execute(
        select(*_COLUMNS)
        .where(_EARLIER.c.installation_id == installation_id, _EARLIER.c.upsales_id == upsales_id)
        .order_by(_EARLIER.c.set_aside_at.desc())
    )
    return [_view(row) for row in rows]


async def live_earlier_ids(
    connection: AsyncConnection, installation_id: uuid.UUID, fortnox_type: FortnoxType
) -> set[str]:
    """The Fortnox ids of the earlier documents of one type that live as the sync last saw
    them (for reconciliation, as the ids of the linked ones)."""
    rows = await connection.execute(
        select(*_COLUMNS).where(
            _EARLIER.c.installation_id == installation_id,
            _EARLIER.c.fortnox_type == fortnox_type.value,
        )
    )
    return {view.fortnox_id for view in map(_view, rows) if not view.document_cancelled}


async def mark_earlier(
    connection: AsyncConnection, installation_id: uuid.UUID, link: LinkView
) -> None:
    """Store the earlier document's fingerprint as ``link`` has it now: behind the cancelled
    mark once it ended, without it once it lives again."""
    await connection.execute(
        update(_EARLIER)
        .where(
            _EARLIER.c.installation_id == installation_id,
            _EARLIER.c.fortnox_type == link.fortnox_type.value,
            _EARLIER.c.fortnox_id == link.fortnox_id,
        )
        .values(fingerprint=link.fingerprint)
    )


async def take_deal_back(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    taking: LinkView,
    leaving: LinkView | None,
) -> None:
    """The earlier document ``taking`` (with the fingerprint its link is to have) is the deal's
    document again, in place of ``leaving`` (the deal's link it takes, ended), which is kept as
    an earlier document in its turn."""
    await connection.execute(
        delete(_EARLIER).where(
            _EARLIER.c.installation_id == installation_id,
            _EARLIER.c.fortnox_type == taking.fortnox_type.value,
            _EARLIER.c.fortnox_id == taking.fortnox_id,
        )
    )
    if leaving is not None and leaving.fortnox_type is taking.fortnox_type:
        await keep_earlier(connection, installation_id, leaving)
    await save_link(
        connection,
        installation_id,
        LinkEntity.ORDER,
        taking.upsales_id,
        taking.fortnox_type,
        taking.fortnox_id,
        taking.fingerprint,
        synced_fields=taking.synced_fields,
    )
