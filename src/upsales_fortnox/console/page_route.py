"""Console routes answer a parameter they cannot take with the console's error page.

A paging offset or cursor that is no number, or a job or installation id that is none, is
refused before the route runs, by FastAPI's validation: the API's JSON 422 in an operator's
browser. :class:`ConsolePageRoute` shows it as the console shows every refusal (the error
page, with the API's status, code, message and details), as a search too long already is.
The ``.json`` routes the pages poll keep the API's JSON. The session dependency runs before
the parameters are checked, so a request without a session is still sent to the login form.

What the framework refuses before any route runs (a console address with no page, an action
fetched with GET, a form it cannot read) is shown as the error page too
(:func:`page_or_api_error`), with the API's status, code and headers (``Allow`` for a 405).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from upsales_fortnox.api.errors import http_error, http_refusal, validation_refusal
from upsales_fortnox.console.guard import session_of
from upsales_fortnox.console.render import render_error

CONSOLE_HOME = "/console"
_STATIC = f"{CONSOLE_HOME}/static/"


def is_console_page(path: str) -> bool:
    """A console address an operator's browser shows as a page (not its assets or ``.json``)."""
    inside = path == CONSOLE_HOME or path.startswith(f"{CONSOLE_HOME}/")
    return inside and not path.startswith(_STATIC) and not path.endswith(".json")


async def page_or_api_error(request: Request, exc: Exception) -> Response:
    """The framework's refusal: on a console page as the error page, elsewhere as the API's."""
    assert isinstance(exc, StarletteHTTPException)
    if not is_console_page(request.url.path):
        return await http_error(request, exc)
    refusal = http_refusal(request, exc)
    response = render_error(request, refusal, session=session_of(request), back=CONSOLE_HOME)
    response.headers.update(refusal.headers or {})
    return response


class ConsolePageRoute(APIRoute):
    """A console route whose refused parameters answer the error page (not a ``.json`` one)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.path.endswith(".json"):
            return handler

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                error = validation_refusal(exc)
                in_path = any(detail["loc"][:1] == ["path"] for detail in error.details or ())
                back = CONSOLE_HOME if in_path else request.url.path
                return render_error(request, error, session=session_of(request), back=back)

        return page_handler
