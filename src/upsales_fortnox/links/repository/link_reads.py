"""Reads of many links at once: a page for the operators, the catch-up's pages, the initial
import's indexes, reconciliation's and the report's Fortnox ids, re-pricing's articles, the
pages of linked orders whose fields a refresh writes.

Functions given a session factory read in a short session of their own; the others in the
caller's session. Nothing here writes (the ``links`` table is written by :mod:`.links`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.domain.catchup import OrderLinks
from upsales_fortnox.domain.link_view import CANCELLED_DOCUMENT, MOVING_TO_LOST, LinkView
from upsales_fortnox.links.repository.links import link_view
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

_LINKS = cast(Table, Link.__table__)


# --- the operators' list ----------------------------------------------------------------------


async def link_page(
    session: AsyncSession,
    installation_id: uuid.UUID,
    *,
    entity: LinkEntity | None,
    fortnox_type: FortnoxType | None,
    upsales_id: int | None,
    fortnox_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Link], int]:
    """One page of the installation's links that match, oldest first, and how many match."""
    conditions: list[ColumnElement[bool]] = [Link.installation_id == installation_id]
    if entity is not None:
        conditions.append(Link.entity == entity.value)
    if fortnox_type is not None:
        conditions.append(Link.fortnox_type == fortnox_type.value)
    if upsales_id is not None:
        conditions.append(Link.upsales_id == upsales_id)
    if fortnox_id is not None:
        conditions.append(Link.fortnox_id == fortnox_id)
    total = await session.scalar(select(func.count()).select_from(Link).where(*conditions))
    links = await session.scalars(
        select(Link).where(*conditions).order_by(Link.id).limit(limit).offset(offset)
    )
    return list(links), total or 0


# --- the Upsales catch-up ---------------------------------------------------------------------


def _of(entity: LinkEntity, ids: Collection[int], fortnox_type: FortnoxType | None = None) -> Any:
    condition = and_(_LINKS.c.entity == entity.value, _LINKS.c.upsales_id.in_(sorted(ids)))
    if fortnox_type is not None:
        condition = and_(condition, _LINKS.c.fortnox_type == fortnox_type.value)
    return condition


async def order_links(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    order_ids: Collection[int],
    company_ids: Collection[int],
    product_ids: Collection[int],
) -> OrderLinks:
    """The links of a page of orders, their companies and products, in one query."""
    parts = [_of(LinkEntity.ORDER, order_ids)]
    if company_ids:
        parts.append(_of(LinkEntity.COMPANY, company_ids, FortnoxType.CUSTOMER))
    if product_ids:
        parts.append(_of(LinkEntity.PRODUCT, product_ids, FortnoxType.ARTICLE))
    async with session_factory() as session:
        rows = await session.execute(
            select(_LINKS).where(_LINKS.c.installation_id == installation_id, or_(*parts))
        )
        views = [link_view(row) for row in rows]
    return OrderLinks(
        orders={v.upsales_id: v for v in views if v.entity is LinkEntity.ORDER},
        companies={v.upsales_id: v for v in views if v.entity is LinkEntity.COMPANY},
        articles={v.upsales_id: v.fortnox_id for v in views if v.entity is LinkEntity.PRODUCT},
    )


async def company_links(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    company_ids: Collection[int],
) -> dict[int, LinkView]:
    """The customer links of these companies, by company id."""
    async with session_factory() as session:
        rows = await session.execute(
            select(_LINKS).where(
                _LINKS.c.installation_id == installation_id,
                _of(LinkEntity.COMPANY, company_ids, FortnoxType.CUSTOMER),
            )
        )
        return {view.upsales_id: view for view in map(link_view, rows)}


# --- the initial import's indexes (streamed) --------------------------------------------------


async def linked_upsales_ids(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    entity: LinkEntity,
) -> set[int]:
    """The Upsales ids of every linked ``entity``."""
    async with session_factory() as session:
        rows = await session.stream_scalars(
            select(Link.upsales_id).where(
                Link.installation_id == installation_id, Link.entity == entity
            )
        )
        return {upsales_id async for upsales_id in rows}


async def linked_by_fortnox_id(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    fortnox_type: FortnoxType,
) -> dict[str, int]:
    """Fortnox id → linked Upsales id, for every link of one Fortnox type."""
    async with session_factory() as session:
        rows = await session.stream(
            select(Link.fortnox_id, Link.upsales_id).where(
                Link.installation_id == installation_id, Link.fortnox_type == fortnox_type
            )
        )
        return {fortnox_id: upsales_id async for fortnox_id, upsales_id in rows}


# --- reconciliation, the report, re-pricing ---------------------------------------------------


async def linked_fortnox_ids(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    fortnox_type: FortnoxType,
) -> set[str]:
    """The Fortnox ids of every linked entity of one type."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(Link.fortnox_id).where(
                Link.installation_id == installation_id, Link.fortnox_type == fortnox_type
            )
        )
        return set(rows)


async def linked_order_documents(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    fortnox_types: Iterable[FortnoxType],
) -> dict[tuple[FortnoxType, str], int]:
    """(Fortnox type, document number) → Upsales order id, for the orders linked to a
    document of these types."""
    query = select(Link.fortnox_type, Link.fortnox_id, Link.upsales_id).where(
        Link.installation_id == installation_id,
        Link.entity == LinkEntity.ORDER,
        Link.fortnox_type.in_([t.value for t in fortnox_types]),
    )
    async with session_factory() as session:
        rows = (await session.execute(query)).all()
    return {(FortnoxType(kind), number): order_id for kind, number, order_id in rows}


async def ended_order_documents(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    fortnox_types: Iterable[FortnoxType],
) -> set[tuple[FortnoxType, str]]:
    """(Fortnox type, document number) of the documents of these types whose cancellation is
    synced: their orders' links mark it (``CANCELLED_DOCUMENT``), not as still moving the order
    to lost (``MOVING_TO_LOST``: a run that died before its Upsales write left it so)."""
    query = select(Link.fortnox_type, Link.fortnox_id).where(
        Link.installation_id == installation_id,
        Link.entity == LinkEntity.ORDER,
        Link.fortnox_type.in_([t.value for t in fortnox_types]),
        Link.fingerprint.startswith(CANCELLED_DOCUMENT, autoescape=True),
        ~Link.fingerprint.startswith(CANCELLED_DOCUMENT + MOVING_TO_LOST, autoescape=True),
    )
    async with session_factory() as session:
        rows = (await session.execute(query)).all()
    return {(FortnoxType(kind), number) for kind, number in rows}


@dataclass(frozen=True)
class OrderDocuments:
    """An Upsales order and the Fortnox documents linked to it (number by type)."""

    order_id: int
    documents: Mapping[FortnoxType, str]


_DOCUMENT_TYPES = (FortnoxType.INVOICE.value, FortnoxType.ORDER.value, FortnoxType.OFFER.value)


async def order_documents_page(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    *,
    after_order: int,
    limit: int,
) -> list[OrderDocuments]:
    """The next ``limit`` Upsales orders linked to a Fortnox invoice, order or offer, by id
    after ``after_order``, each with its documents."""
    linked = (
        Link.installation_id == installation_id,
        Link.entity == LinkEntity.ORDER,
        Link.fortnox_type.in_(_DOCUMENT_TYPES),
    )
    page = (
        select(Link.upsales_id)
        .where(*linked, Link.upsales_id > after_order)
        .group_by(Link.upsales_id)
        .order_by(Link.upsales_id)
        .limit(limit)
    )
    query = (
        select(Link.upsales_id, Link.fortnox_type, Link.fortnox_id)
        .where(*linked, Link.upsales_id.in_(page.scalar_subquery()))
        .order_by(Link.upsales_id)
    )
    async with session_factory() as session:
        rows = (await session.execute(query)).all()
    by_order: dict[int, dict[FortnoxType, str]] = {}
    for order_id, kind, number in rows:
        by_order.setdefault(order_id, {})[FortnoxType(kind)] = number
    return [OrderDocuments(order_id, documents) for order_id, documents in by_order.items()]


async def article_links(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> dict[int, str]:
    """Product id → article number, for every product linked to an article."""
    async with session_factory() as session:
        rows = await session.execute(
            select(Link.upsales_id, Link.fortnox_id).where(
                Link.installation_id == installation_id,
                Link.entity == LinkEntity.PRODUCT,
                Link.fortnox_type == FortnoxType.ARTICLE,
            )
        )
        return {upsales_id: fortnox_id for upsales_id, fortnox_id in rows}
