"""Console pages for one installation: its state and settings, the initial sync (progress and
dry-run preview), its links (set and remove by hand) and an entity's history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import AfterValidator, BaseModel, Field

from upsales_fortnox.api.deps import ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.schemas import INT32_MAX, INT64_MAX, TEXT_WITHOUT_NUL
from upsales_fortnox.api.upstream_errors import upstream_errors
from upsales_fortnox.console.forms import form_values, parse
from upsales_fortnox.console.guard import SessionRequired, checked_form
from upsales_fortnox.console.page_route import ConsolePageRoute
from upsales_fortnox.console.page_texts import TEXTS
from upsales_fortnox.console.progress import overall_percent
from upsales_fortnox.console.queue_view import reason_code, reason_message
from upsales_fortnox.console.render import redirect, render, render_error
from upsales_fortnox.history import router as history_api
from upsales_fortnox.installations.service import get_installation, read_settings
from upsales_fortnox.installations.settings_schemas import SettingsDocument
from upsales_fortnox.jobs import router as jobs_api
from upsales_fortnox.links import router as links_api
from upsales_fortnox.links.schemas import LinkCreate
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH, check_storable
from upsales_fortnox.ops import bulk_router as bulk_api
from upsales_fortnox.ops import health_router as health_api
from upsales_fortnox.ops.bulk import ReplayKind
from upsales_fortnox.sync.initial import router as initial_sync_api
from upsales_fortnox.sync.initial.control import initial_sync_status, start_initial_sync
from upsales_fortnox.sync.initial.preview import preview_initial_sync
from upsales_fortnox.vocabulary import FortnoxType, JobStatus

router = APIRouter(
    prefix="/console/installations", include_in_schema=False, route_class=ConsolePageRoute
)
LinkId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class HistoryQuery(BaseModel):
    """The API's history parameters, as the search form sends them."""

    entity: Literal["order", "company", "product"]
    upsales_id: int | None = Field(default=None, ge=1, le=INT32_MAX)
    fortnox_id: (
        Annotated[
            str,
            Field(min_length=1, max_length=MAX_FORTNOX_ID_LENGTH, pattern=TEXT_WITHOUT_NUL),
            AfterValidator(check_storable),
        ]
        | None
    ) = None
    fortnox_type: FortnoxType | None = None
    cursor: str | None = Field(default=None, max_length=19)


HISTORY_SHOWN = 100
"""Jobs an entity's history page lists (newest first); a link leads to the older ones."""


def _page_of(installation_id: uuid.UUID) -> str:
    return f"/console/installations/{installation_id}"


async def _initial_sync_report(db: SessionDep, installation_id: uuid.UUID) -> dict[str, Any]:
    with initial_sync_api.refusals():
        report = await initial_sync_status(db, installation_id)
    return {"report": report, "percent": overall_percent(report)}


WAITING_SHOWN = 50
"""Queued jobs the installation page lists (newest first); the queue figures count them all."""


@router.get("/{installation_id}")
async def get_installation_page(
    request: Request,
    installation_id: uuid.UUID,
    session: SessionRequired,
    db: SessionDep,
    services: ServicesDep,
) -> Response:
    try:
        with operator_errors():
            record = await get_installation(db, installation_id)
            stored = await read_settings(db, installation_id)
        health = await health_api.get_installation_health(installation_id, db, services)
        sync = await _initial_sync_report(db, installation_id)
        links = await links_api.get_links(installation_id, db, limit=100)
        waiting = await jobs_api.get_jobs(
            db, installation_id=installation_id, status=JobStatus.QUEUED, limit=WAITING_SHOWN
        )
    except ApiError as exc:
        return render_error(request, exc, session=session, back="/console")
    settings = (
        SettingsDocument.from_row(stored.row).model_dump(by_alias=True, mode="json")
        if stored.row is not None
        else None
    )
    return render(
        request,
        "installation.html",
        {
            "installation": record.installation,
            "has_fortnox_login": record.has_fortnox_login,
            "health": health,
            "settings": settings,
            "sync": sync,
            "links": links,
            "waiting": [
                (job, reason_code(job.last_error), reason_message(job.last_error))
                for job in waiting.items
            ],
            "entities": ("company", "product", "order"),
            "fortnox_types": [member.value for member in FortnoxType],
        },
        session=session,
    )


@router.get("/{installation_id}/initial-sync.json")
async def get_initial_sync_progress(
    installation_id: uuid.UUID, session: SessionRequired, db: SessionDep
) -> dict[str, Any]:
    """What the progress bar polls: the API's report and the overall percentage."""
    return await _initial_sync_report(db, installation_id)


@router.post("/{installation_id}/initial-sync")
async def post_initial_sync(
    request: Request, installation_id: uuid.UUID, session: SessionRequired, db: SessionDep
) -> Response:
    try:
        await checked_form(request, session)
        with initial_sync_api.refusals():
            started = await start_initial_sync(db, installation_id)
        await db.commit()
    except ApiError as exc:
        return render_error(request, exc, session=session, back=_page_of(installation_id))
    flash = TEXTS["flash_sync_started"].format(job_id=started.job_id)
    return redirect(f"{_page_of(installation_id)}#initial-sync", flash)


@router.post("/{installation_id}/initial-sync/preview")
async def post_initial_sync_preview(
    request: Request,
    installation_id: uuid.UUID,
    session: SessionRequired,
    db: SessionDep,
    services: ServicesDep,
) -> Response:
    try:
        await checked_form(request, session)
        with operator_errors():
            await get_installation(db, installation_id)
        await db.rollback()
        with initial_sync_api.refusals(), upstream_errors():
            preview = await preview_initial_sync(services, installation_id)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=_page_of(installation_id))
    return render(
        request,
        "preview.html",
        {"installation_id": installation_id, "preview": preview},
        session=session,
    )


@router.post("/{installation_id}/links")
async def post_link(
    request: Request,
    installation_id: uuid.UUID,
    session: SessionRequired,
    db: SessionDep,
    services: ServicesDep,
) -> Response:
    try:
        form = await checked_form(request, session)
        values = form_values(
            form, "entity", "upsales_id", "fortnox_type", "fortnox_id", integers=("upsales_id",)
        )
        body = parse(LinkCreate, values)
        link = await links_api.post_link(installation_id, body, db, services, request, Response())
    except ApiError as exc:
        return render_error(request, exc, session=session, back=_page_of(installation_id))
    flash = TEXTS["flash_link_set"].format(link_id=link.id)
    return redirect(f"{_page_of(installation_id)}#links", flash)


@router.post("/{installation_id}/links/{link_id}/delete")
async def post_link_delete(
    request: Request,
    installation_id: uuid.UUID,
    link_id: LinkId,
    session: SessionRequired,
    db: SessionDep,
) -> Response:
    try:
        await checked_form(request, session)
        await links_api.delete_link(installation_id, link_id, db)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=_page_of(installation_id))
    flash = TEXTS["flash_link_deleted"].format(link_id=link_id)
    return redirect(f"{_page_of(installation_id)}#links", flash)


@router.post("/{installation_id}/replay")
async def post_replay(
    request: Request, installation_id: uuid.UUID, session: SessionRequired, db: SessionDep
) -> Response:
    history_url = f"{_page_of(installation_id)}/history"
    try:
        form = await checked_form(request, session)
        body = parse(bulk_api.ReplayRequest, form_values(form, "kind", "entity_id"))
        replayed = await bulk_api.post_replay(installation_id, body, db)
    except ApiError as exc:
        return render_error(request, exc, session=session, back=history_url)
    flash = TEXTS["flash_replayed"].format(job_id=replayed.job.id, kind=replayed.job.kind)
    return redirect(f"/console/jobs/{replayed.job.id}", flash)


def _with_cursor(request: Request, cursor: str) -> str:
    """This page's own path and query, for the page after ``cursor`` (same origin, whatever
    host the request came by)."""
    url = request.url.include_query_params(cursor=cursor)
    return f"{url.path}?{url.query}"


@router.get("/{installation_id}/history")
async def get_history_page(
    request: Request, installation_id: uuid.UUID, session: SessionRequired, db: SessionDep
) -> Response:
    values = form_values(
        request.query_params,
        "entity",
        "upsales_id",
        "fortnox_id",
        "fortnox_type",
        "cursor",
        integers=("upsales_id",),
    )
    history = None
    try:
        with operator_errors():
            record = await get_installation(db, installation_id)
        if "entity" in values:
            query = parse(HistoryQuery, values)
            history = await history_api.get_history(
                installation_id,
                db,
                entity=query.entity,
                upsales_id=query.upsales_id,
                fortnox_id=query.fortnox_id,
                fortnox_type=query.fortnox_type,
                limit=HISTORY_SHOWN,
                cursor=query.cursor,
            )
    except ApiError as exc:
        return render_error(request, exc, session=session, back=request.url.path)
    older = history.next_cursor if history is not None else None
    return render(
        request,
        "history.html",
        {
            "installation": record.installation,
            "query": values,
            "history": history,
            "older_url": _with_cursor(request, older) if older else None,
            "entities": ("order", "company", "product"),
            "replay_kinds": [kind.value for kind in ReplayKind],
        },
        session=session,
    )
