"""The history's reads: the links of one entity and the jobs that touched any of its ids, and
the installations and links a name or a document number finds.

Reads only (``links`` and ``sync_jobs`` are written by their own repositories).
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.text_match import contains_folded
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import (
    FortnoxType,
    JobKind,
    LinkEntity,
    fortnox_id_key,
    upsales_id_key,
)

#: The job kinds that sync one entity: by entity on the Upsales side, by type on Fortnox's.
_UPSALES_KINDS: Final = {
    LinkEntity.ORDER: JobKind.UPSALES_ORDER,
    LinkEntity.COMPANY: JobKind.UPSALES_COMPANY,
}
_FORTNOX_KINDS: Final = {
    FortnoxType.CUSTOMER: JobKind.FORTNOX_CUSTOMER,
    FortnoxType.ARTICLE: JobKind.FORTNOX_ARTICLE,
    FortnoxType.ORDER: JobKind.FORTNOX_ORDER,
    FortnoxType.INVOICE: JobKind.FORTNOX_INVOICE,
    FortnoxType.OFFER: JobKind.FORTNOX_OFFER,
}


def _result_key_equals(dialect: str, key: str, value: int | str) -> ColumnElement[bool]:
    """``result[key] == value``, whether the value was stored as a number or as text."""
    if dialect == "postgresql":
        return SyncJob.result.op("->>")(key) == str(value)
    extracted = func.json_extract(SyncJob.result, f"$.{key}")
    values: list[int | str] = [str(value)]
    number = value if isinstance(value, int) else parse_digits(value)
    if number is not None:
        values.append(number)
    return extracted.in_(values)


async def related_ids(
    session: AsyncSession,
    installation_id: uuid.UUID,
    entity: LinkEntity,
    upsales_id: int | None,
    fortnox_id: str | None,
    fortnox_types: tuple[FortnoxType, ...],
) -> tuple[set[int], set[tuple[FortnoxType, str]]]:
    upsales_ids = {upsales_id} if upsales_id is not None else set()
    fortnox_ids = {(t, fortnox_id) for t in fortnox_types} if fortnox_id is not None else set()
    condition = (
        Link.upsales_id == upsales_id
        if upsales_id is not None
        else and_(Link.fortnox_id == fortnox_id, Link.fortnox_type.in_(fortnox_types))
    )
    links = await session.scalars(
        select(Link).where(
            Link.installation_id == installation_id, Link.entity == entity.value, condition
        )
    )
    for link in links:
        upsales_ids.add(link.upsales_id)
        if link.fortnox_type in fortnox_types:
            fortnox_ids.add((FortnoxType(link.fortnox_type), link.fortnox_id))
    return upsales_ids, fortnox_ids


def _job_conditions(
    dialect: str,
    entity: LinkEntity,
    upsales_ids: set[int],
    fortnox_ids: set[tuple[FortnoxType, str]],
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    upsales_kind = _UPSALES_KINDS.get(entity)
    for upsales_id in sorted(upsales_ids):
        if upsales_kind is not None:
            conditions.append(
                and_(SyncJob.kind == upsales_kind, SyncJob.entity_id == str(upsales_id))
            )
        conditions.append(_result_key_equals(dialect, upsales_id_key(entity), upsales_id))
    for fortnox_type, fortnox_id in sorted(fortnox_ids):
        conditions.append(
            and_(SyncJob.kind == _FORTNOX_KINDS[fortnox_type], SyncJob.entity_id == fortnox_id)
        )
        conditions.append(_result_key_equals(dialect, fortnox_id_key(fortnox_type), fortnox_id))
    return conditions


async def jobs_touching(
    session: AsyncSession,
    installation_id: uuid.UUID,
    entity: LinkEntity,
    upsales_ids: set[int],
    fortnox_ids: set[tuple[FortnoxType, str]],
    limit: int,
    *,
    before_id: int | None = None,
) -> list[SyncJob]:
    """The installation's jobs for any of the ids, or whose result names one; newest first
    (those older than job ``before_id``, when given)."""
    dialect = session.get_bind().dialect.name
    conditions = _job_conditions(dialect, entity, upsales_ids, fortnox_ids)
    query = select(SyncJob).where(SyncJob.installation_id == installation_id, or_(*conditions))
    if before_id is not None:
        query = query.where(SyncJob.id < before_id)
    jobs = await session.scalars(query.order_by(SyncJob.id.desc()).limit(limit))
    return list(jobs)


async def installations_named(session: AsyncSession, text: str, limit: int) -> list[Installation]:
    """The installations whose name holds ``text`` (any case), by name."""
    dialect = session.get_bind().dialect.name
    found = await session.scalars(
        select(Installation)
        .where(contains_folded(Installation.name, text, dialect))
        .order_by(Installation.name, Installation.id)
        .limit(limit)
    )
    return list(found)


_DOCUMENT_TYPES: Final = (FortnoxType.INVOICE, FortnoxType.ORDER, FortnoxType.OFFER)


async def links_found(
    session: AsyncSession, text: str, limit: int
) -> list[tuple[Link, Installation]]:
    """The company links whose last synced name holds ``text`` (any case), and the order links
    whose Fortnox document number is ``text``, each with its installation; by installation name,
    then newest link first."""
    dialect = session.get_bind().dialect.name
    company_name = contains_folded(Link.synced_fields["name"].as_string(), text, dialect)
    conditions = [and_(Link.entity == LinkEntity.COMPANY.value, company_name)]
    number = parse_digits(text)
    if number is not None:
        conditions.append(
            and_(Link.fortnox_type.in_(_DOCUMENT_TYPES), Link.fortnox_id == str(number))
        )
    rows = await session.execute(
        select(Link, Installation)
        .join(Installation, Installation.id == Link.installation_id)
        .where(or_(*conditions))
        .order_by(Installation.name, Link.id.desc())
        .limit(limit)
    )
    return [(link, installation) for link, installation in rows]
