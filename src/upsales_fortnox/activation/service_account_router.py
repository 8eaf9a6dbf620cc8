"""Operator API: connect an installation to a Fortnox service account (client credentials)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from upsales_fortnox.activation.errors import ActivationError
from upsales_fortnox.activation.login import FortnoxLogin
from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.ops.health_facts import read_installation
from upsales_fortnox.ops.health_router import InstallationHealth, health_of

router = APIRouter(
    prefix="/api/installations",
    tags=["installations"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404, 409, 422),
)


class ServiceAccountRequest(BaseModel):
    tenant_id: Annotated[
        str,
        Field(pattern=r"^[0-9]{1,20}$", description="The Fortnox tenant (DatabaseNumber)."),
    ]


@router.post(
    "/{installation_id}/fortnox-service-account",
    response_model=InstallationHealth,
    summary="Connect a Fortnox service account",
    description="For a tenant whose admin approved the app's service account: gets a token by "
    "client credentials (no refresh token; a new one is asked for whenever it expires), stores "
    "the tenant id and activates the installation. Answers its health. "
    "`service_account_refused` (409) when Fortnox refuses; `fortnox_client_rejected` (503) "
    "when it refuses the service's own client id and secret.",
)
async def post_service_account(
    installation_id: uuid.UUID,
    request: ServiceAccountRequest,
    services: ServicesDep,
    session: SessionDep,
) -> InstallationHealth:
    try:
        await FortnoxLogin(services).connect_service_account(installation_id, request.tenant_id)
    except ActivationError as error:
        raise ApiError(error.status_code, error.code, error.message) from None
    installation = await find_installation(session, installation_id, fresh=True)
    assert installation is not None
    now = utcnow()
    readings = await read_installation(session, installation, now, services.secret_box)
    return health_of(installation, readings, now, services.settings)
