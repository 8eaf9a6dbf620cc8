"""Operator API: the reconciliation report of an installation for a period, and its repair.

``GET /api/installations/{id}/reconciliation?from=&to=`` lists both sides (counts and net
totals per currency) and every difference with the job that repairs it; ``POST
…/reconciliation/repair`` queues those jobs. Both read the live systems
(:mod:`upsales_fortnox.sync.report.gather`); a period must have ``from`` ≤ ``to``, at most
:data:`MAX_PERIOD_DAYS` days apart (422 ``invalid_period``). An installation not logged in to
Fortnox yet is refused at once (409 ``fortnox_login_required``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Query

from upsales_fortnox.api.deps import AdminDep, ServicesDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.api.upstream_errors import UPSTREAM_RESPONSES, upstream_errors
from upsales_fortnox.core.texts import language_of_request
from upsales_fortnox.domain.report_compare import Report
from upsales_fortnox.installations.api_clients import InstallationNotReady
from upsales_fortnox.installations.repository.installation_rows import installation_with_login
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import context_of, load_installation
from upsales_fortnox.sync.report.alerts import report_differences
from upsales_fortnox.sync.report.gather import build_report, queue_repairs
from upsales_fortnox.sync.report.presentation import report_json

MAX_PERIOD_DAYS: Final = 366

router = APIRouter(
    prefix="/api/installations",
    tags=["reconciliation"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses={**error_responses(401, 404, 422), **UPSTREAM_RESPONSES},
)

FromDate = Annotated[dt.date, Query(alias="from", description="First day (YYYY-MM-DD)")]
ToDate = Annotated[dt.date, Query(alias="to", description="Last day (YYYY-MM-DD), included")]


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ApiError(422, "invalid_period", "`from` must not be after `to`")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ApiError(422, "invalid_period", f"a period spans at most {MAX_PERIOD_DAYS} days")


async def period_report(
    services: Services, installation_id: uuid.UUID, start: dt.date, end: dt.date
) -> Report:
    check_period(start, end)
    try:
        installation = await load_installation(services, installation_id)
    except InstallationNotReady as exc:  # no such installation
        raise ApiError(404, "installation_not_found", exc.message) from exc
    with upstream_errors():  # one without a readable Upsales key: 409 installation_not_ready
        context = context_of(services, installation)
        if not await _has_fortnox_login(services, installation_id):  # nothing to ask it with
            raise ApiError(
                409, "fortnox_login_required", "the installation has not logged in to Fortnox yet"
            )
        report = await build_report(context, services.session_factory, start, end)
    await report_differences(services.session_factory, installation_id, report, start, end)
    return report


async def _has_fortnox_login(services: Services, installation_id: uuid.UUID) -> bool:
    async with services.session_factory() as session:
        found = await installation_with_login(session, installation_id)
    return found is not None and found[1]


@router.get("/{installation_id}/reconciliation", summary="Both systems side by side")
async def get_reconciliation(
    installation_id: uuid.UUID,
    services: ServicesDep,
    start: FromDate,
    end: ToDate,
    accept_language: Annotated[
        str | None, Header(description="`en` first: the details in English; else Swedish.")
    ] = None,
) -> dict[str, Any]:
    report = await period_report(services, installation_id, start, end)
    return report_json(report, start, end, language_of_request(accept_language))


@router.post("/{installation_id}/reconciliation/repair", summary="Queue every repair")
async def repair_reconciliation(
    installation_id: uuid.UUID, services: ServicesDep, start: FromDate, end: ToDate
) -> dict[str, Any]:
    report = await period_report(services, installation_id, start, end)
    repairs = [item.repair for item in report.differences]
    job_ids = await queue_repairs(services.session_factory, installation_id, report.differences)
    return {
        "queued": [
            {"jobKind": repair.job_kind, "entityId": repair.entity_id, "jobId": job_id}
            for repair, job_id in zip(repairs, job_ids, strict=True)
        ]
    }
