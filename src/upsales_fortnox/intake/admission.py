"""Back-pressure for the webhook intake: a bound on the requests it works on at once.

A webhook request beyond the bound is refused at once, before routing and before its body is
read (503 ``overloaded`` with ``Retry-After``), instead of waiting in a queue without end. That
bounds the intake's memory (at most ``limit`` bodies of at most ``WEBHOOK_MAX_BODY_BYTES`` each)
and the latency of the requests it takes: each waits behind at most ``limit`` others for the
group commit. The refusal is an ASGI middleware with a ready-made answer, so that refusing costs
as little as possible of the CPU the admitted requests need (``bench/flood.py``).

A hook Upsales waits on (at a URL that names it) is refused as the database's unavailability
is (:func:`~.waited_on_unavailable.cannot_answer_now`): with its user's text, or the answer it
gets without the database.

One installation's requests (a flood of its hooks: thousands of companies updated at once)
take the places but a tenth of them (:attr:`Admission.reserve`, rounded down), so another
installation's hook is taken meanwhile rather than refused until the flood has drained.

A request holds its place until it is answered, so its body must arrive within
``WEBHOOK_BODY_SECONDS`` of its admission, else it is refused (408 ``request_timeout``): a
sender whose connection died half-way without a word (or one that sends a byte now and then)
would otherwise keep its place for ever, and ``limit`` of them every hook out.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.texts import DEFAULT_LANGUAGE
from upsales_fortnox.intake.hook_answers import default_responders
from upsales_fortnox.intake.routing import UPSALES_SYNCHRONOUS_EVENTS
from upsales_fortnox.intake.waited_on_unavailable import cannot_answer_now

OVERLOADED: Final = "overloaded"
RETRY_AFTER_SECONDS: Final = 1
WEBHOOK_PATH_PREFIX: Final = "/webhooks/"
REQUEST_TIMEOUT: Final = "request_timeout"

_REFUSAL_BODY: Final = json.dumps(
    {"error": {"code": OVERLOADED, "message": "the intake is at its limit; retry later"}}
).encode()
_REFUSAL_START: Final[dict[str, Any]] = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_REFUSAL_BODY)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ],
}
_REFUSAL_BODY_MESSAGE: Final[dict[str, Any]] = {"type": "http.response.body", "body": _REFUSAL_BODY}


class Admission:
    """Counts webhook requests in flight against ``limit``, and each installation's against
    ``limit`` less :attr:`reserve`; ``refused`` counts the refusals. ``body_seconds``: how
    long an admitted request's body may take to arrive.

    Used from one event loop: the check and the count happen without an await in between.
    """

    def __init__(self, limit: int, *, body_seconds: float = 30.0) -> None:
        if limit < 1 or body_seconds <= 0:
            raise ValueError("limit must be at least 1, body_seconds more than 0")
        self.limit = limit
        self.reserve = limit // 10
        """Places one installation's requests leave to the others'."""
        self.body_seconds = body_seconds
        self.in_flight = 0
        self.refused = 0
        self._held: dict[str, int] = {}
        """Places held, by installation (as its URL names it)."""

    def try_enter(self, installation: str | None = None) -> bool:
        held = self._held.get(installation, 0) if installation is not None else 0
        if self.in_flight >= self.limit or held >= self.limit - self.reserve:
            self.refused += 1
            return False
        self.in_flight += 1
        if installation is not None:
            self._held[installation] = held + 1
        return True

    def leave(self, installation: str | None = None) -> None:
        self.in_flight -= 1
        if installation is not None:
            held = self._held.pop(installation) - 1
            if held:
                self._held[installation] = held


class AdmissionMiddleware:
    """Holds webhook requests to the app's ``services.intake_admission``; other paths pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(WEBHOOK_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        admission: Admission = scope["app"].state.services.intake_admission
        installation = _installation_of(scope["path"])
        if not admission.try_enter(installation):
            waited_on = _waited_on_hook(scope["path"])
            if waited_on is not None:
                state = scope["app"].state
                responders = getattr(state, "responders", default_responders)
                answer = cannot_answer_now(
                    waited_on,
                    responders,
                    language=DEFAULT_LANGUAGE,
                    code=OVERLOADED,
                    retry_after=RETRY_AFTER_SECONDS,
                )
                await answer(scope, receive, send)
                return
            await send(_REFUSAL_START)
            await send(_REFUSAL_BODY_MESSAGE)
            return
        try:
            await self.app(scope, _body_within(receive, admission.body_seconds), send)
        finally:
            admission.leave(installation)


def _installation_of(path: str) -> str | None:
    """The installation a webhook URL names (``/webhooks/{upsales|fortnox}/{installation}…``),
    as written: its places are counted apart from other installations'."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[2] in ("upsales", "fortnox") and parts[3]:
        return parts[3]
    return None


def _waited_on_hook(path: str) -> str | None:
    """The hook a URL names (``/webhooks/upsales/{installation}/{hook_type}``), if Upsales waits
    on its answer: refused at the limit, it is answered for its user (in the default language:
    the body that may name another is not read), not with the operators' error."""
    parts = path.split("/")
    if len(parts) == 5 and parts[2] == "upsales" and parts[4] in UPSALES_SYNCHRONOUS_EVENTS:
        return parts[4]
    return None


def _body_within(receive: Receive, seconds: float) -> Receive:
    """``receive``, refusing a body not complete ``seconds`` from now (an :class:`ApiError`
    raised where the route reads it, answered as any refusal); what comes after the body (the
    client leaving) is waited for as long as it takes."""
    deadline = asyncio.get_running_loop().time() + seconds
    complete = False

    async def receive_in_time() -> Message:
        nonlocal complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise ApiError(
                408, REQUEST_TIMEOUT, f"the body did not arrive within {seconds:g} seconds"
            ) from None
        complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return receive_in_time
