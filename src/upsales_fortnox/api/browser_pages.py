"""Small HTML pages for routes a user opens in a browser (a login, a document link).

Such a route answers its errors as the JSON envelope (``{"error": {"code", "message"}}``) to
API callers, and as a page in the user's language (Swedish unless the browser prefers English)
when the browser asks for ``text/html``; the status is the same either way.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse

from upsales_fortnox.core.texts import Language, language_of_request, say


def wants_html(request: Request) -> bool:
    """Whether the caller asks for ``text/html`` ahead of ``application/json`` (a browser)."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/html") < json_at


def error_page(
    status_code: int,
    language: Language,
    *,
    title: str,
    heading: str,
    explanation: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    page = (
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(heading)}</h1>"
        f"<p>{html.escape(explanation)}</p>"
        "</body></html>"
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def failure_page(
    request: Request,
    status_code: int,
    code: str,
    *,
    texts: str,
    explanations: Mapping[str, str],
    otherwise: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page of an error ``code`` in the browser's language: the catalogue's
    ``<texts>.title`` and ``<texts>.heading``, and the text ``explanations`` names for the code
    (``otherwise`` for a code it does not name)."""
    language = language_of_request(request.headers.get("accept-language"))
    return error_page(
        status_code,
        language,
        title=say(f"{texts}.title", language),
        heading=say(f"{texts}.heading", language),
        explanation=say(explanations.get(code, otherwise), language),
        headers=headers,
    )
