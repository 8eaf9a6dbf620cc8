"""Rendering console pages: the Jinja2 templates, security headers, errors as the API words them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from upsales_fortnox.api.errors import ApiError, error_body
from upsales_fortnox.console.session import ConsoleSession
from upsales_fortnox.console.texts import TEXTS

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
    full = {
        "t": TEXTS,
        "csrf_token": session.csrf_token if session else None,
        "flash": request.query_params.get("flash"),
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
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
    """After an action: see the page again (303, so a reload never repeats the action)."""
    if flash:
        path, _, fragment = url.partition("#")
        url = f"{path}{'&' if '?' in path else '?'}{urlencode({'flash': flash})}"
        url += f"#{fragment}" if fragment else ""
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response
