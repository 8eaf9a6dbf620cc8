"""Routes whose every answer is ``Cache-Control: no-store``.

A page that tells one person's outcome (a login's) must not be kept by a shared cache or the
browser's history. :class:`NoStoreRoute` marks whatever the route answers: its own response,
a redirect, and the error answers the app's exception handlers make for it.
"""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

NO_STORE = {"Cache-Control": "no-store"}


class NoStoreRoute(APIRoute):
    """A route whose every answer, error answers too, is ``Cache-Control: no-store``."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_uncached(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(NO_STORE)
            await send(message)

        await super().handle(scope, receive, send_uncached)
