"""The one query that reads what a won deal needs of its links: the order's own links, its
company's, its products', and the order's intent (:mod:`.document_intents`), when asked for.

The intent comes back as one more row of the same query (``UNION ALL``): a statement fewer on
every won deal's path, where each costs more than SQLite's own work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, cast

from sqlalchemy import Integer, String, Table, and_, bindparam, func, literal, null, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from upsales_fortnox.core.db.types import UTCDateTime
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.links.repository.document_intents import EarlierIntent
from upsales_fortnox.links.repository.intent_rows import INTENTS
from upsales_fortnox.links.repository.links import link_view
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

_LINKS = cast(Table, Link.__table__)
_INSTALLATION_ID = bindparam("installation_id", type_=_LINKS.c.installation_id.type)
_ORDER_ID = bindparam("order_id", type_=Integer())
_INTENT: Final = "intent"
"""The ``entity`` of the intent's row."""

_DEAL_LINKS = select(
    _LINKS.c.entity,
    _LINKS.c.upsales_id,
    _LINKS.c.fortnox_type,
    _LINKS.c.fortnox_id,
    _LINKS.c.fingerprint,
    _LINKS.c.synced_fields,
    sql_cast(null(), UTCDateTime()).label("settles_at"),
    sql_cast(null(), UTCDateTime()).label("recorded_at"),
    _LINKS.c.id.label("position"),
    func.coalesce(_LINKS.c.synced_at, _LINKS.c.created_at).label("saved_at"),
).where(
    _LINKS.c.installation_id == _INSTALLATION_ID,
    or_(
        and_(_LINKS.c.entity == LinkEntity.ORDER.value, _LINKS.c.upsales_id == _ORDER_ID),
        and_(
            _LINKS.c.entity == LinkEntity.COMPANY.value,
            _LINKS.c.upsales_id == bindparam("company_id", type_=Integer()),
            _LINKS.c.fortnox_type == FortnoxType.CUSTOMER.value,
        ),
        and_(
            _LINKS.c.entity == LinkEntity.PRODUCT.value,
            _LINKS.c.fortnox_type == FortnoxType.ARTICLE.value,
            _LINKS.c.upsales_id.in_(bindparam("product_ids", expanding=True)),
        ),
    ),
)
_INTENT_ROW = select(
    literal(_INTENT, String()),
    INTENTS.c.upsales_order_id,
    INTENTS.c.fortnox_type,
    null(),
    null(),
    null(),
    INTENTS.c.settles_at,
    INTENTS.c.created_at,
    literal(0, Integer()),
    sql_cast(null(), UTCDateTime()),
).where(INTENTS.c.installation_id == _INSTALLATION_ID, INTENTS.c.upsales_order_id == _ORDER_ID)
_QUERIES: Final[dict[bool, Executable]] = {
    False: _DEAL_LINKS.order_by(_DEAL_LINKS.selected_columns.position),
    True: _DEAL_LINKS.union_all(_INTENT_ROW).order_by("position"),
}
"""Built once: building them took longer than running them. A ``company_id`` of ``None`` and
an empty ``product_ids`` match nothing."""


@dataclass(frozen=True)
class DealLinks:
    """What a won deal's sync reads of its links (see
    :class:`~.won_deal_links.WonDealLinks`)."""

    order: LinkView | None
    company: LinkView | None
    articles: dict[int, str]
    sent_before: EarlierIntent | None
    """No invoice or order linked (an offer may be), but an earlier attempt recorded its intent
    to create the document (for a deal of an offer, the order Fortnox makes of it)."""
    set_aside: LinkView | None = None
    """No order link: an order whose invoice's cancellation was synced (see
    :attr:`~upsales_fortnox.domain.outbound.deal_documents.DealDocuments.set_aside_order`)."""
    ended: frozenset[tuple[FortnoxType, str]] = frozenset()
    """The documents the order was linked to that are not its document any more (see
    :attr:`~upsales_fortnox.domain.outbound.deal_documents.DealDocuments.ended`): the search for
    an earlier attempt's document passes them over."""


@dataclass(frozen=True)
class DealLinkRows:
    links: list[LinkView]
    """In the order they were made."""
    intent: EarlierIntent | None
    """The order's intent (read only when asked for)."""


async def read_deal_links(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    order_id: int,
    company_id: int | None,
    product_ids: Sequence[int],
    *,
    with_intent: bool,
) -> DealLinkRows:
    params: dict[str, Any] = {
        "installation_id": installation_id,
        "order_id": order_id,
        "company_id": company_id,
        "product_ids": list(product_ids),
    }
    links: list[LinkView] = []
    intent = None
    for row in await connection.execute(_QUERIES[with_intent], params):
        if row.entity == _INTENT:
            intent = EarlierIntent(FortnoxType(row.fortnox_type), row.settles_at, row.recorded_at)
        else:
            links.append(replace(link_view(row), saved_at=row.saved_at))
    return DealLinkRows(links, intent)
