"""Mounting the console, its login and logout, and its first page (the installations)."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from upsales_fortnox.api.deps import ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.schemas import INT32_MAX
from upsales_fortnox.console import routes_installations, routes_queue, routes_search
from upsales_fortnox.console.guard import (
    ConsoleLoginRequired,
    SessionRequired,
    checked_form,
    signer_for,
)
from upsales_fortnox.console.login_session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    SessionSigner,
)
from upsales_fortnox.console.page_route import ConsolePageRoute, page_or_api_error
from upsales_fortnox.console.queue_view import queue_summary
from upsales_fortnox.console.render import STATIC_DIR, redirect, render, render_error
from upsales_fortnox.console.repository import end_session
from upsales_fortnox.core.crypto import constant_time_equals
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.service import list_installations
from upsales_fortnox.ops.health_facts import read_installation
from upsales_fortnox.ops.health_router import health_of

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsolePageRoute)
LOGIN_URL = "/console/login"
INSTALLATIONS_PER_PAGE: Final = 200


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        secure=True,
        httponly=True,
        samesite="strict",
    )


@router.get("/login")
async def get_login(request: Request) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"login_token": signer_for(request).login_token(nonce)},
        session=None,
    )
    _set_cookie(response, LOGIN_COOKIE, nonce, 3600)
    return response


@router.post("/login")
async def post_login(request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    signer = signer_for(request)
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    given_csrf = form.get("csrf_token")
    token = form.get("token")
    if not nonce or not isinstance(given_csrf, str):
        error = ApiError(403, "csrf_failed", "the form's CSRF token is missing or not valid")
        return render_error(request, error, session=None, back=LOGIN_URL)
    if not SessionSigner.token_matches(given_csrf, signer.login_token(nonce)):
        error = ApiError(403, "csrf_failed", "the form's CSRF token is missing or not valid")
        return render_error(request, error, session=None, back=LOGIN_URL)
    expected = services.settings.admin_token.get_secret_value()
    if not isinstance(token, str) or not constant_time_equals(token, expected):
        error = ApiError(401, "unauthorized", "a valid operator token is required")
        return render_error(request, error, session=None, back=LOGIN_URL)
    response = redirect("/console")
    _set_cookie(response, SESSION_COOKIE, signer.issue(time.time()), SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
async def post_logout(request: Request, session: SessionRequired, db: SessionDep) -> Response:
    """End the session itself (a copy of its cookie opens nothing again), then the cookie."""
    try:
        await checked_form(request, session)
    except ApiError as exc:
        return render_error(request, exc, session=session)
    expires_at = datetime.fromtimestamp(session.expires_at, UTC)
    await end_session(db, session.nonce, expires_at, utcnow())
    await db.commit()
    response = redirect(LOGIN_URL)
    response.delete_cookie(SESSION_COOKIE, path="/console", secure=True, httponly=True)
    return response


@router.get("")
async def get_index(
    request: Request,
    session: SessionRequired,
    db: SessionDep,
    services: ServicesDep,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> Response:
    """The installations, a page at a time (oldest first), with their health."""
    records, total = await list_installations(
        db, status=None, upsales_customer_id=None, limit=INSTALLATIONS_PER_PAGE, offset=offset
    )
    summary = await queue_summary(db)
    now = utcnow()
    rows = [
        (
            record.installation,
            health_of(
                record.installation,
                await read_installation(db, record.installation, now, services.secret_box),
                now,
                services.settings,
            ),
        )
        for record in records
    ]
    return render(
        request,
        "installations.html",
        {
            "installations": rows,
            "total": total,
            "summary": summary,
            "previous_offset": max(0, offset - INSTALLATIONS_PER_PAGE) if offset else None,
            "next_offset": offset + len(rows) if offset + len(rows) < total else None,
        },
        session=session,
    )


async def _login_required(request: Request, _: Exception) -> Response:
    """Pages send the browser to the login form; actions are refused outright."""
    if request.method in ("GET", "HEAD"):
        response: Response = RedirectResponse(LOGIN_URL, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        return response
    error = ApiError(401, "unauthorized", "log in to the console first")
    return render_error(request, error, session=None, back=LOGIN_URL)


def install_console(app: FastAPI) -> None:
    """Mount the console's pages, actions and assets on the service's app."""
    app.include_router(router)
    app.include_router(routes_queue.router)
    app.include_router(routes_installations.router)
    app.include_router(routes_search.router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.add_exception_handler(ConsoleLoginRequired, _login_required)
    for refusal in (StarletteHTTPException, HTTPException):  # the API's handler, on pages
        app.add_exception_handler(refusal, page_or_api_error)
