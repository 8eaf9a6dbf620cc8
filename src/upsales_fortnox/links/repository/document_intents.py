"""The ``document_intents`` table: a won deal's create is recorded, and committed, before it
is sent.

A won deal in steady state costs one Fortnox call (its create): it is searched for by its
order reference only when an earlier attempt may have created its document, that is when an
intent exists without a link (a crash between the intent and the link, a timeout, a dropped
connection whose create Fortnox may have committed, a link deleted by hand). See
:class:`~upsales_fortnox.models.link.DocumentIntent`.

The intent is recorded in the transaction that reads the won deal's links (one transaction per
deal, committed before any Fortnox call; :mod:`.won_deal_links`). An attempt that recorded it
and then failed without a create that could land (refused before sending it: an unsendable
order, a product without an article; or answered with a refusal that leaves nothing created,
``CREATED_NOTHING`` in :mod:`upsales_fortnox.sync.outbound.sent_creates`) withdraws it, so the
deal's next attempt creates without a search or a wait. A cancelled or killed attempt keeps it.

A search that finds nothing stores when to search again (``settles_at``, see
:mod:`upsales_fortnox.sync.outbound.earlier_create`): an earlier create may still land.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Table, and_, case, delete, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.vocabulary import FortnoxType

_INTENTS = cast(Table, DocumentIntent.__table__)

SENT_AS: Final = frozenset({FortnoxType.INVOICE, FortnoxType.ORDER})
"""The types a won deal's document is created as (an order linked to an offer is not one)."""


def _insert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into the intents that can say what a conflict with an existing one does."""
    return postgresql.insert(_INTENTS) if dialect == "postgresql" else sqlite.insert(_INTENTS)


_NO_CUSTOMER_NOTE: Final = {
    "customer_company_id": None,
    "customer_sent_at": None,
    "customer_settles_at": None,
    "customer_sent_fields": null(),  # SQL NULL (None would store JSON's null)
}
"""An intent's customer columns once nothing of its noted create can land."""

_RECORD_INTENT = {name: _insert(name).on_conflict_do_nothing() for name in ("postgresql", "sqlite")}
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
) -> EarlierIntent | None:
    """Record that the order's document is about to be created as ``fortnox_type``; the
    caller commits before sending anything.

    None when no earlier attempt recorded one: the order's document was never sent, so it is
    created without a search. Otherwise that attempt's intent.
    """
    if await _insert_intent(
        connection, installation_id, upsales_order_id, fortnox_type, recorded_at
    ):
        return None
    earlier = (
        await connection.execute(
            select(_INTENTS.c.fortnox_type, _INTENTS.c.settles_at, _INTENTS.c.created_at).where(
                _of_order(installation_id, upsales_order_id)
            )
        )
    ).one()
    return EarlierIntent(FortnoxType(earlier.fortnox_type), earlier.settles_at, earlier.created_at)


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
    await _insert_intent(connection, installation_id, upsales_order_id, fortnox_type, now)


async def _insert_intent(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    fortnox_type: FortnoxType,
    recorded_at: datetime,
) -> bool:
    """Whether the order's intent was recorded now (False: it had one, kept as it is)."""
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
            _INTENTS.c.customer_sent_at < customers_sent_before,
            _INTENTS.c.customer_settles_at.is_(None),
        )
        values["customer_settles_at"] = case(
            (customer_waiting, settles_at), else_=_INTENTS.c.customer_settles_at
        )
    stored = await connection.execute(
        update(_INTENTS)
        .where(
            _of_order(installation_id, upsales_order_id),
            _INTENTS.c.settles_at.is_(None),
            _INTENTS.c.created_at == searched_for,
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
        update(_INTENTS)
        .where(
            _of_order(installation_id, upsales_order_id),
            _INTENTS.c.settles_at == waited_for,
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
    await connection.execute(
        delete(_INTENTS).where(
            _of_order(installation_id, upsales_order_id),
            _INTENTS.c.created_at == recorded_at,
            _INTENTS.c.settles_at.is_(None),
            _no_customer_create_may_land(now),
        )
    )


def _no_customer_create_may_land(now: datetime) -> ColumnElement[bool]:
    """The intent holds no customer create, or one whose wait has passed by ``now``."""
    return or_(
        _INTENTS.c.customer_sent_at.is_(None),
        and_(_INTENTS.c.customer_settles_at.is_not(None), _INTENTS.c.customer_settles_at <= now),
    )


async def note_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    company_id: int,
    sent_at: datetime,
    fortnox_type: FortnoxType,
    sent_fields: Mapping[str, str | None],
) -> bool:
    """The deal's attempt is sending the create of the company's new Fortnox customer, made of
    the company's ``sent_fields`` (what it is looked for by, should the company change). A deal
    sent before it had an intent (linked by the initial sync, say) gets one now, as
    ``fortnox_type``, to hold the note. False, and nothing noted (nothing may be sent), while the
    deal holds a customer create that may still land: another run's (a stalled one's note must
    not hide it)."""
    note = {
        "customer_company_id": company_id,
        "customer_sent_at": sent_at,
        "customer_sent_fields": dict(sent_fields),
    }
    upsert = _insert(connection.dialect.name).values(
        installation_id=installation_id,
        upsales_order_id=upsales_order_id,
        fortnox_type=fortnox_type.value,
        created_at=sent_at,
        **note,
    )
    noted = await connection.execute(
        upsert.on_conflict_do_update(
            index_elements=[_INTENTS.c.installation_id, _INTENTS.c.upsales_order_id],
            set_={**note, "customer_settles_at": None},
            where=_no_customer_create_may_land(sent_at),
        )
    )
    return bool(noted.rowcount == 1)


async def forget_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    sent_at: datetime,
) -> None:
    """The deal's customer create noted at ``sent_at`` made nothing (Fortnox refused it):
    nobody waits for it. A later create of the deal's is kept."""
    await connection.execute(
        update(_INTENTS)
        .where(
            _of_order(installation_id, upsales_order_id),
            _INTENTS.c.customer_sent_at == sent_at,
        )
        .values(_NO_CUSTOMER_NOTE)
    )


async def forget_company_customer_creates(
    connection: AsyncConnection, installation_id: uuid.UUID, company_ids: Collection[int]
) -> None:
    """The companies are linked to their customers: no deal of theirs searches for one any
    more, so no create of it noted by any deal is waited for."""
    if not company_ids:
        return
    await connection.execute(
        update(_INTENTS)
        .where(
            _INTENTS.c.installation_id == installation_id,
            _INTENTS.c.customer_company_id.in_(company_ids),
        )
        .values(_NO_CUSTOMER_NOTE)
    )


@dataclass(frozen=True)
class CustomerCreate:
    """A deal's create of the company's new customer, which may have landed unseen."""

    upsales_order_id: int
    sent_at: datetime
    settles_at: datetime | None
    """Set by a search that found no customer: search again after it before creating."""
    company_id: int
    sent_fields: Mapping[str, str | None] | None
    """The company's fields the create was made of (None: noted before they were kept)."""


async def customer_creates_to_wait_for(
    connection: AsyncConnection, installation_id: uuid.UUID, upsales_order_id: int, company_id: int
) -> list[CustomerCreate]:
    """The creates a deal about to create the company's customer waits for while they may
    land: its own noted one, of any company (its note is about to be replaced), and the latest
    one of this company's customer that another deal noted."""
    columns = (
        _INTENTS.c.upsales_order_id,
        _INTENTS.c.customer_sent_at,
        _INTENTS.c.customer_settles_at,
        _INTENTS.c.customer_company_id,
        _INTENTS.c.customer_sent_fields,
    )
    own = select(*columns).where(
        _of_order(installation_id, upsales_order_id), _INTENTS.c.customer_company_id.is_not(None)
    )
    of_another_deal = (
        select(*columns)
        .where(
            _INTENTS.c.installation_id == installation_id,
            _INTENTS.c.customer_company_id == company_id,
            _INTENTS.c.upsales_order_id != upsales_order_id,
        )
        .order_by(_INTENTS.c.customer_sent_at.desc())
        .limit(1)
    )
    found = []
    for query in (own, of_another_deal):
        row = (await connection.execute(query)).first()
        if row is not None:
            found.append(
                CustomerCreate(
                    row.upsales_order_id,
                    row.customer_sent_at,
                    row.customer_settles_at,
                    row.customer_company_id,
                    row.customer_sent_fields,
                )
            )
    return found


async def sent_customer_creates(
    connection: AsyncConnection, installation_id: uuid.UUID
) -> list[tuple[int, Mapping[str, str | None]]]:
    """The companies whose new customer a deal's noted create may have made, each with the
    fields that create sent (the company may have changed since)."""
    rows = await connection.execute(
        select(_INTENTS.c.customer_company_id, _INTENTS.c.customer_sent_fields).where(
            _INTENTS.c.installation_id == installation_id,
            _INTENTS.c.customer_company_id.is_not(None),
        )
    )
    return [
        (row.customer_company_id, row.customer_sent_fields)
        for row in rows
        if isinstance(row.customer_sent_fields, dict)  # noted before the fields were kept
    ]


async def settle_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    create: CustomerCreate,
    settles_at: datetime,
) -> bool:
    """Store when to search for the customer again after a search that missed ``create``;
    False when that deal has since sent another create, or another search stored a time."""
    stored = await connection.execute(
        update(_INTENTS)
        .where(
            _of_order(installation_id, create.upsales_order_id),
            _INTENTS.c.customer_sent_at == create.sent_at,
            _INTENTS.c.customer_settles_at.is_(None),
        )
        .values(customer_settles_at=settles_at)
    )
    return bool(stored.rowcount == 1)


def _of_order(installation_id: uuid.UUID, upsales_order_id: int) -> ColumnElement[bool]:
    return and_(
        _INTENTS.c.installation_id == installation_id,
        _INTENTS.c.upsales_order_id == upsales_order_id,
    )
