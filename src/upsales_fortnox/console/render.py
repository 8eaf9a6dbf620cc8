"""Rendering console pages: the Jinja2 templates, security headers, errors as the API words them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from upsales_fortnox.api.errors import ApiError, error_body
from upsales_fortnox.console.login_session import ConsoleSession
from upsales_fortnox.console.page_texts import TEXTS

_HERE: Final = Path(__file__).parent
STATIC_DIR: Final = _HERE / "static"
templates: Final = Jinja2Templates(directory=_HERE / "templates")


def when(moment: datetime | str | None) -> str:
    """A moment as operators read it: ``2026-12-03 07:36:42 UTC`` (empty for none)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["when"] = when

FLASH_COOKIE: Final = "ufs_console_flash"
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: ConsoleSession | None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page; ``session`` gives the forms their CSRF token (None on the login page)."""
    flash = request.cookies.get(FLASH_COOKIE)
    full = {
        "t": TEXTS,
        "csrf_token": session.csrf_token if session else None,
        "flash": unquote(flash)[:500] if flash else None,
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/console", secure=True, httponly=True)
    return response


def render_error(
    request: Request, error: ApiError, *, session: ConsoleSession | None, back: str | None = None
) -> HTMLResponse:
    """The API's error (same status, code, message and details), as a page."""
    body = error_body(error.code, error.message, error.details)["error"]
    return render(
        request,
        "error.html",
        {"error": body, "back": back},
        session=session,
        status_code=error.status_code,
    )


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """After an action: see the page again (303, so a reload never repeats the action), with
    ``flash`` shown once (kept in a cookie, so no link can put words in the console's mouth)."""
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash),
            max_age=60,
            path="/console",
            secure=True,
            httponly=True,
            samesite="strict",
        )
    return response
