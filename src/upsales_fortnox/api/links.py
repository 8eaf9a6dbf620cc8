"""Operator API: the links of an installation (``/api/installations/{id}/links``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, func, select

from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.schemas.common import (
    DEFAULT_PAGE_SIZE,
    INT32_MAX,
    MAX_PAGE_SIZE,
    TEXT_WITHOUT_NUL,
    OffsetPage,
    error_responses,
)
from upsales_fortnox.api.schemas.links import LinkOut
from upsales_fortnox.db.models import FortnoxType, Installation, Link, LinkEntity
from upsales_fortnox.installations.errors import InstallationNotFound

router = APIRouter(
    prefix="/api/installations",
    tags=["links"],
    dependencies=[AdminDep],
    responses=error_responses(401, 404, 422),
)


class LinkPage(OffsetPage[LinkOut]):
    pass


@router.get(
    "/{installation_id}/links",
    response_model=LinkPage,
    summary="List an installation's links",
    description="Which Upsales entity is kept in sync with which Fortnox entity; oldest first.",
)
async def get_links(
    installation_id: uuid.UUID,
    session: SessionDep,
    entity: LinkEntity | None = None,
    fortnox_type: FortnoxType | None = None,
    upsales_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    fortnox_id: Annotated[str | None, Query(max_length=50, pattern=TEXT_WITHOUT_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> LinkPage:
    with operator_errors():
        if await session.get(Installation, installation_id) is None:
            raise InstallationNotFound(installation_id)
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
    return LinkPage(
        items=[LinkOut.model_validate(link) for link in links],
        total=total or 0,
        limit=limit,
        offset=offset,
    )
