"""Operator API: installations (``/api/installations``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from upsales_fortnox.activation.login_link import LoginLinkSigner
from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.preconditions import OptionalIfMatch, RequiredIfMatch, set_etag
from upsales_fortnox.api.schemas import (
    DEFAULT_PAGE_SIZE,
    INT32_MAX,
    MAX_PAGE_SIZE,
    OffsetPage,
    error_responses,
)
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.fortnox_hand_back import hand_back, stored_refresh_token
from upsales_fortnox.installations.key_owner import LiveKeyOwner
from upsales_fortnox.installations.schemas import (
    InstallationCreate,
    InstallationOut,
    InstallationPatch,
)
from upsales_fortnox.installations.service import (
    InstallationRecord,
    create_installation,
    delete_installation,
    get_installation,
    list_installations,
    update_installation,
)
from upsales_fortnox.installations.settings_router import ReferenceCheckDep
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus

router = APIRouter(
    prefix="/api/installations",
    tags=["installations"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 422),
)


class InstallationPage(OffsetPage[InstallationOut]):
    pass


def _out(record: InstallationRecord, services: Services) -> InstallationOut:
    """The installation as answered, with a freshly signed Fortnox login link."""
    settings = services.settings
    login_links = LoginLinkSigner(settings.secret_key.get_secret_value())
    login_url = login_links.url(settings.public_base_url, record.installation.id, now=utcnow())
    return InstallationOut.from_record(record, settings.public_base_url, login_url)


@router.post(
    "",
    status_code=201,
    response_model=InstallationOut,
    summary="Create an installation",
    description="Starts in `pending_login`. Secrets are write-only. Answers with `Location` "
    "and `ETag`.",
    responses=error_responses(409),
)
async def post_installation(
    body: InstallationCreate,
    session: SessionDep,
    services: ServicesDep,
    reference_check: ReferenceCheckDep,
    request: Request,
    response: Response,
) -> InstallationOut:
    with operator_errors():
        record = await create_installation(
            session,
            services.secret_box,
            body.to_new_installation(),
            reference_check=reference_check,
            key_owner=LiveKeyOwner(services),
        )
    await session.commit()
    installation_id = record.installation.id
    response.headers["Location"] = str(
        request.url_for("get_installation_by_id", installation_id=str(installation_id))
    )
    set_etag(response, record.installation.version)
    return _out(record, services)


@router.get(
    "",
    response_model=InstallationPage,
    summary="List installations",
    description="Oldest first; filter by status or Upsales customer id.",
)
async def get_installations(
    session: SessionDep,
    services: ServicesDep,
    status: InstallationStatus | None = None,
    upsales_customer_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> InstallationPage:
    records, total = await list_installations(
        session,
        status=status,
        upsales_customer_id=upsales_customer_id,
        limit=limit,
        offset=offset,
    )
    return InstallationPage(
        items=[_out(record, services) for record in records],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{installation_id}",
    name="get_installation_by_id",
    response_model=InstallationOut,
    summary="Read an installation",
    description="The `ETag` header carries its version.",
    responses=error_responses(404),
)
async def get_installation_route(
    installation_id: uuid.UUID, session: SessionDep, services: ServicesDep, response: Response
) -> InstallationOut:
    with operator_errors():
        record = await get_installation(session, installation_id)
    set_etag(response, record.installation.version)
    return _out(record, services)


@router.patch(
    "/{installation_id}",
    response_model=InstallationOut,
    summary="Edit an installation",
    description="Rename, pause or resume, change the customer id or replace secrets. Requires "
    "`If-Match`. Status codes of refusals: `status_not_settable` (422), "
    "`fortnox_login_required` (409: `active` before a Fortnox login, or while Fortnox's "
    "refusal of the stored login stands, paused since or not), `conflict` (409, customer id "
    "taken), `upsales_key_other_account` (409, the key opens another Upsales account).",
    responses=error_responses(404, 409, 412, 428),
)
async def patch_installation(
    installation_id: uuid.UUID,
    body: InstallationPatch,
    precondition: RequiredIfMatch,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> InstallationOut:
    with operator_errors():
        record = await update_installation(
            session,
            services.secret_box,
            installation_id,
            precondition,
            body.to_changes(),
            key_owner=LiveKeyOwner(services),
        )
    await session.commit()
    set_etag(response, record.installation.version)
    return _out(record, services)


@router.delete(
    "/{installation_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an installation",
    description="Deletes its settings, tokens, links, events and jobs too, and hands its "
    "Fortnox login back (revokes it: best effort, after the delete). `If-Match` is "
    "optional; when given it must name the current version.",
    responses=error_responses(404, 412),
)
async def delete_installation_route(
    installation_id: uuid.UUID,
    precondition: OptionalIfMatch,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    with operator_errors():
        refresh_token = await stored_refresh_token(session, services.secret_box, installation_id)
        await delete_installation(session, installation_id, precondition)
    await session.commit()
    await hand_back(services.fortnox_oauth, refresh_token, "a deleted installation's")
    return Response(status_code=204)
