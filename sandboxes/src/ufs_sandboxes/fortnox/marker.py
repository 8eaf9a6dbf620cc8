"""Marks every HTTP answer of the Fortnox sandbox with ``X-Sandbox: fortnox``.

Test tooling uses the header to tell the sandbox's answers (which must match Fortnox's spec)
from answers that tests make by hand; real Fortnox never sends it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SANDBOX_HEADER = (b"x-sandbox", b"fortnox")


class SandboxMarker:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), SANDBOX_HEADER]}
            await send(message)

        await self.app(scope, receive, send_marked)
