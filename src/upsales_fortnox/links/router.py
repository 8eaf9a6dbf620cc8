"""Operator API: the links of an installation (``/api/installations/{id}/links``): list them,
set one by hand (to settle an ambiguous match) and delete one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import (
    DEFAULT_PAGE_SIZE,
    INT32_MAX,
    INT64_MAX,
    MAX_PAGE_SIZE,
    FortnoxIdQuery,
    OffsetPage,
    error_responses,
)
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.installations.errors import InstallationNotFound
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.links.errors import LinkConflict, LinkedMeanwhile
from upsales_fortnox.links.link_targets import check_link_targets
from upsales_fortnox.links.repository.link_reads import link_page
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.links.schemas import LinkCreate, LinkOut
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

router = APIRouter(
    prefix="/api/installations",
    tags=["links"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404, 422),
)


class LinkPage(OffsetPage[LinkOut]):
    pass


async def _require_installation(session: DbSession, installation_id: uuid.UUID) -> None:
    with operator_errors():
        if await find_installation(session, installation_id) is None:
            raise InstallationNotFound(installation_id)


@router.get(
    "/{installation_id}/links",
    name="get_links",
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
    fortnox_id: FortnoxIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> LinkPage:
    await _require_installation(session, installation_id)
    links, total = await link_page(
        session,
        installation_id,
        entity=entity,
        fortnox_type=fortnox_type,
        upsales_id=upsales_id,
        fortnox_id=fortnox_id,
        limit=limit,
        offset=offset,
    )
    return LinkPage(
        items=[LinkOut.model_validate(link) for link in links],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{installation_id}/links",
    status_code=201,
    response_model=LinkOut,
    summary="Link an Upsales entity to a Fortnox entity by hand",
    description="Settles an ambiguous match. The types must pair (company ↔ customer, product ↔ "
    "article, order ↔ order, invoice or offer), else 422; a Fortnox order, invoice or offer is "
    "named by its number (digits, no leading zero), else 422. 409 `link_conflict` when the Upsales "
    "entity already has a link of that Fortnox type or the Fortnox entity is linked already "
    "(`details.existing_link_id`; delete it first). An active installation has both records "
    "read first: 422 `upsales_record_not_found` or `fortnox_record_not_found` when a system "
    "answers one is not there (a check that cannot be made stores the link as given). The new "
    "link has no fingerprint, so the next change on either side is synced in full.",
    responses=error_responses(409),
)
async def post_link(
    installation_id: uuid.UUID,
    body: LinkCreate,
    session: SessionDep,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> LinkOut:
    await _require_installation(session, installation_id)
    await check_link_targets(
        services, installation_id, body.entity, body.upsales_id, body.fortnox_type, body.fortnox_id
    )
    store = LinkStore(session, installation_id)
    try:
        link = await store.add(body.entity, body.upsales_id, body.fortnox_type, body.fortnox_id)
        await session.commit()
    except LinkConflict as exc:
        raise ApiError(
            409, "link_conflict", str(exc), details={"existing_link_id": exc.existing_id}
        ) from exc
    except LinkedMeanwhile as exc:  # a link made at the same moment by a sync job
        await session.rollback()
        raise ApiError(409, "link_conflict", str(exc)) from exc
    response.headers["Location"] = (
        str(request.url_for("get_links", installation_id=str(installation_id)))
        + f"?entity={link.entity}&upsales_id={link.upsales_id}"
    )
    return LinkOut.model_validate(link)


@router.delete(
    "/{installation_id}/links/{link_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a link",
    description="The two entities are no longer kept in sync (neither is deleted). 404 "
    "`link_not_found` when the installation has no such link.",
)
async def delete_link(
    installation_id: uuid.UUID,
    link_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
    session: SessionDep,
) -> Response:
    await _require_installation(session, installation_id)
    if not await LinkStore(session, installation_id).delete(link_id):
        raise ApiError(404, "link_not_found", f"installation has no link {link_id}")
    await session.commit()
    return Response(status_code=204)
