"""Console routes answer a parameter they cannot take with the console's error page.

A paging offset or cursor that is no number, or a job or installation id that is none, is
refused before the route runs, by FastAPI's validation: the API's JSON 422 in an operator's
browser. :class:`ConsolePageRoute` shows it as the console shows every refusal (the error
page, with the API's status, code, message and details), as a search too long already is.
The ``.json`` routes the pages poll keep the API's JSON. The session dependency runs before
the parameters are checked, so a request without a session is still sent to the login form.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from upsales_fortnox.api.errors import validation_refusal
from upsales_fortnox.console.guard import session_of
from upsales_fortnox.console.render import render_error

CONSOLE_HOME = "/console"


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
