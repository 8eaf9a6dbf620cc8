"""The ``document_intents`` table: a won deal's create is recorded, and committed, before it
is sent.

A won deal in steady state costs one Fortnox call (its create): it is searched for by its
order reference only when an earlier attempt may have created its document, that is when an
intent exists without a link (a crash between the intent and the link, a timeout, a dropped
connection whose create Fortnox may have committed, a link deleted by hand). See
:class:`~upsales_fortnox.models.link.DocumentIntent`.

The transaction that reads the won deal's links reads its intent too (:mod:`.won_deal_links`).
The intent is recorded, and committed, once the create holds its place in the tenant's rate
budget, just before it is sent (``on_first_send``,
:mod:`upsales_fortnox.integrations.send_check`): a deal whose create was still waiting for a
place when its process died has no intent, and its next attempt creates without a search or
a wait. An attempt that recorded it and then failed without a create that could land (answered
with a refusal that leaves nothing created, ``CREATED_NOTHING`` in
:mod:`upsales_fortnox.sync.outbound.sent_creates`) withdraws it too. A cancelled or killed
attempt keeps it.

A search that finds nothing stores when to search again (``settles_at``, see
:mod:`upsales_fortnox.sync.outbound.earlier_create`): an earlier create may still land. The
customer create a deal sends is noted on the same row (:mod:`.customer_create_notes`); a note
made before the deal had an intent gives it one, as the deal's attempt's own, until the customer
is linked (its document not sent yet, it goes with the note).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upsales_fortnox.links.repository.intent_rows import (
    INTENTS,
    insert_intent_row,
    no_customer_create_may_land,
    of_order,
)
from upsales_fortnox.vocabulary import FortnoxType

_RECORD_INTENT = {
    name: insert_intent_row(name).on_conflict_do_nothing() for name in ("postgresql", "sqlite")
}
"""Built once per dialect; a second intent for the same order changes nothing."""


@dataclass(frozen=True)
class EarlierIntent:
    """An earlier attempt's intent to create the order's document, outcome unknown."""

    fortnox_type: FortnoxType
    """The type it was creating: the one to search, and to create if none is found, even when
    the setting changed since (one document per deal)."""
    settles_at: datetime | None
    """Set by a search that found nothing: search again after it before creating."""
    recorded_at: datetime
    """When the attempt whose create it stands for recorded (or renewed) it."""


async def record_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    fortnox_type: FortnoxType,
    recorded_at: datetime,
) -> bool:
    """Record that the order's document is about to be created as ``fortnox_type``; the
    caller commits before sending it. False, and nothing recorded (nothing may be sent), when
    the order has an intent already: another run of the deal recorded it since this one read
    none."""
    inserted = await connection.execute(
        _RECORD_INTENT[connection.dialect.name],
        {
            "installation_id": installation_id,
            "upsales_order_id": upsales_order_id,
            "fortnox_type": fortnox_type.value,
            "created_at": recorded_at,
        },
    )
    return bool(inserted.rowcount)


async def search_before_creating(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    fortnox_type: FortnoxType,
    now: datetime,
) -> None:
    """The order's link to its ``fortnox_type`` document was removed by hand, the document kept:
    its next won-deal run searches by reference before creating one, as after an earlier
    attempt (an intent it already has is kept as it is)."""
    await record_intent(connection, installation_id, upsales_order_id, fortnox_type, now)


async def settle_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    settles_at: datetime,
    searched_for: datetime,
    *,
    customers_sent_before: datetime | None = None,
) -> bool:
    """Store when to search for the order's document again, after a search for the create of
    the intent recorded at ``searched_for``; False, and nothing changed, when another run of
    the deal has meanwhile stored a time, renewed the intent for a create of its own (which
    that search could not have seen) or removed it. A customer create the deal noted before
    ``customers_sent_before`` (the search's start) waits for the same time, unless a miss of
    another deal already stored one for it."""
    values: dict[str, Any] = {"settles_at": settles_at}
    if customers_sent_before is not None:
        customer_waiting = and_(
            INTENTS.c.customer_sent_at < customers_sent_before,
            INTENTS.c.customer_settles_at.is_(None),
        )
        values["customer_settles_at"] = case(
            (customer_waiting, settles_at), else_=INTENTS.c.customer_settles_at
        )
    stored = await connection.execute(
        update(INTENTS)
        .where(
            of_order(installation_id, upsales_order_id),
            INTENTS.c.settles_at.is_(None),
            INTENTS.c.created_at == searched_for,
        )
        .values(values)
    )
    return bool(stored.rowcount == 1)


async def renew_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    waited_for: datetime,
    recorded_at: datetime,
) -> bool:
    """The intent is now the create about to be sent by the attempt that records it at
    ``recorded_at`` (an earlier create can no longer land): no wait is pending. False, and
    nothing changed, when the intent no longer waits for ``waited_for`` (another run of the
    deal renewed or removed it meanwhile)."""
    renewed = await connection.execute(
        update(INTENTS)
        .where(
            of_order(installation_id, upsales_order_id),
            INTENTS.c.settles_at == waited_for,
        )
        .values(settles_at=None, created_at=recorded_at)
    )
    return bool(renewed.rowcount == 1)


async def withdraw_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    recorded_at: datetime,
    now: datetime,
) -> None:
    """Forget the intent recorded at ``recorded_at``: its attempt failed without a create that
    could land. An intent another attempt has since renewed or set waiting is kept, and so is
    one holding a customer create of an earlier attempt that may still land."""
    await _forget(
        connection,
        installation_id,
        [upsales_order_id],
        now,
        INTENTS.c.created_at == recorded_at,
        INTENTS.c.settles_at.is_(None),
    )


async def forget_cancelled_intents(
    connection: AsyncConnection, installation_id: uuid.UUID, order_ids: list[int], now: datetime
) -> None:
    """The orders' documents were cancelled in Fortnox while linked (no create of theirs is
    under way): their intents go, so a deal won again creates a new one without a search."""
    if order_ids:
        await _forget(connection, installation_id, order_ids, now)


async def _forget(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    order_ids: list[int],
    now: datetime,
    *conditions: ColumnElement[bool],
) -> None:
    """Delete the orders' intents that meet ``conditions`` and hold no customer create that
    may still land."""
    await connection.execute(
        delete(INTENTS).where(
            INTENTS.c.installation_id == installation_id,
            INTENTS.c.upsales_order_id.in_(order_ids),
            no_customer_create_may_land(now),
            *conditions,
        )
    )
