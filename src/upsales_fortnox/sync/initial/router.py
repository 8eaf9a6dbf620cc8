"""Operator API: the initial sync of an installation, its progress, and its dry-run preview."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.api.upstream_errors import UPSTREAM_RESPONSES, upstream_errors
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.sync.initial.control import (
    InitialSyncRefused,
    initial_sync_status,
    start_initial_sync,
)
from upsales_fortnox.sync.initial.preview import preview_initial_sync
from upsales_fortnox.vocabulary import InstallationStatus

router = APIRouter(
    prefix="/api/installations",
    tags=["initial sync"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404),
)


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except InitialSyncRefused as exc:
        raise ApiError(exc.status_code, exc.code, exc.message) from exc


@router.post(
    "/{installation_id}/initial-sync",
    status_code=202,
    summary="Start the initial sync",
    description="Queues the import of the Fortnox customers, articles (with the chosen price "
    "list's prices, and with `stockLevels` and `currencyPriceLists` their stock and prices per "
    "currency) and documents (per `syncType`) into Upsales, as one resumable job. "
    "409 `installation_not_active`, `installation_not_configured`, `initial_sync_running`.",
    responses=error_responses(409),
)
async def post_initial_sync(
    installation_id: uuid.UUID, session: SessionDep, request: Request
) -> JSONResponse:
    with refusals():
        started = await start_initial_sync(session, installation_id)
    await session.commit()
    location = str(request.url_for("get_initial_sync", installation_id=str(installation_id)))
    return JSONResponse(
        {"job_id": started.job_id, "status": "queued"},
        status_code=202,
        headers={"Location": location},
    )


@router.get(
    "/{installation_id}/initial-sync",
    name="get_initial_sync",
    summary="Progress of the initial sync",
    description="The latest initial sync job: status and, per phase, done, total (Fortnox "
    "`@TotalResources`), outcome counts, `writes` beyond the records' own (articles: the "
    "products' `stock` and `currency_prices`, counted by result), rate and ETA; ambiguous "
    "matches with their candidates and entities Upsales refused. 404 "
    "`initial_sync_not_started` when there is none.",
)
async def get_initial_sync(installation_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    with refusals():
        report = await initial_sync_status(session, installation_id)
    if report is None:
        raise ApiError(404, "initial_sync_not_started", "no initial sync was started")
    return report


@router.post(
    "/{installation_id}/initial-sync/preview",
    summary="Preview the initial sync (dry run)",
    description="Runs the initial sync's matching against the live systems and writes nothing: "
    "per register, counts and samples of what would be created, linked, updated, skipped, and "
    "what is ambiguous (with the candidates). 502 `upstream_refused` when Fortnox or Upsales "
    "refuses the installation's credentials; 409 `installation_not_ready` when they are missing "
    "or cannot be decrypted, `installation_not_configured` before its settings are chosen.",
    responses={**error_responses(409), **UPSTREAM_RESPONSES},
)
async def post_initial_sync_preview(
    installation_id: uuid.UUID, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    with refusals():
        status = await _installation_status(session, installation_id)
    if status != InstallationStatus.ACTIVE:
        raise ApiError(
            409,
            "installation_not_active",
            f"the installation is {status}; log in to Fortnox first",
        )
    await session.rollback()
    with refusals(), upstream_errors():
        return await preview_initial_sync(services, installation_id)


async def _installation_status(session: SessionDep, installation_id: uuid.UUID) -> str:
    installation = await find_installation(session, installation_id)
    if installation is None:
        raise InitialSyncRefused(
            404, "installation_not_found", f"installation {installation_id} does not exist"
        )
    return installation.status
