"""The ``document_intents`` table: a won deal's create is recorded, and committed, before it
is sent.

A won deal in steady state costs one Fortnox call (its create): it is searched for by its
order reference only when an earlier attempt may have created its document, that is when an
intent exists without a link (a crash between the intent and the link, a timeout, a dropped
connection whose create Fortnox may have committed, a link deleted by hand). See
:class:`~upsales_fortnox.models.link.DocumentIntent`.

The intent is recorded in the transaction that reads the won deal's links (one transaction per
deal, committed before any Fortnox call; :mod:`.won_deal_links`). A deal that is then refused
before its create (an unsendable order, a product without an article) keeps its intent: its
next attempt costs one search more, never a second document.
"""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.vocabulary import FortnoxType

_INTENTS = cast(Table, DocumentIntent.__table__)
_RECORD_INTENT = {
    "postgresql": postgresql.insert(_INTENTS).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_INTENTS).on_conflict_do_nothing(),
}
"""Built once per dialect; a second intent for the same order changes nothing."""


async def record_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    fortnox_type: FortnoxType,
) -> FortnoxType | None:
    """Record that the order's document is about to be created as ``fortnox_type``; the
    caller commits before sending anything.

    None when no earlier attempt recorded one: the order's document was never sent, so it is
    created without a search. Otherwise the type that attempt was creating (its outcome is
    unknown here): the one to search, and to create if none is found, even when the setting
    changed since (one document per deal).
    """
    inserted = await connection.execute(
        _RECORD_INTENT[connection.dialect.name],
        {
            "installation_id": installation_id,
            "upsales_order_id": upsales_order_id,
            "fortnox_type": fortnox_type.value,
            "created_at": utcnow(),
        },
    )
    if inserted.rowcount:
        return None
    earlier: str = (
        await connection.execute(
            select(_INTENTS.c.fortnox_type).where(
                _INTENTS.c.installation_id == installation_id,
                _INTENTS.c.upsales_order_id == upsales_order_id,
            )
        )
    ).scalar_one()
    return FortnoxType(earlier)
