"""Activation routes: the Fortnox login the Upsales app opens, and Fortnox's OAuth callback.

These are opened in the user's browser, so they carry no operator token. The login is started
only through the signed link the operator API hands out as ``fortnox_login_url`` (the Upsales
app's oauth button opens it), and a cookie binds the OAuth ``state`` to the browser that
started the login (one cookie per login started, HttpOnly, ``SameSite=Lax`` so Fortnox's
redirect back still carries it; ``Secure`` when the service is served over https). Every
answer is ``Cache-Control: no-store`` (:class:`~upsales_fortnox.api.no_store.NoStoreRoute`).
Errors are the usual JSON envelope (``{"error": {"code", "message"}}``), or a small HTML page
when the browser asks for ``text/html``; the status and code are the same either way.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from upsales_fortnox.activation.errors import ActivationError
from upsales_fortnox.activation.login import CALLBACK_PATH, FortnoxLogin
from upsales_fortnox.activation.login_link import invalid_login_link
from upsales_fortnox.activation.state import STATE_LIFETIME
from upsales_fortnox.api.browser_pages import failure_page, wants_html
from upsales_fortnox.api.deps import ServicesDep
from upsales_fortnox.api.errors import error_response
from upsales_fortnox.api.no_store import NoStoreRoute
from upsales_fortnox.api.schemas import ErrorEnvelope, error_responses
from upsales_fortnox.core.db.types import utcnow

logger = logging.getLogger(__name__)

router = APIRouter(tags=["activation"], route_class=NoStoreRoute)
"""Every login answer (redirect, page, error) is ``no-store``: it tells one admin's outcome."""

LOGIN_COOKIE: Final = "fortnox_login"
"""Names the cookies that hold the hash of a login state's nonce, sent only to the callback
path: one cookie per login started (:func:`login_cookie_name`), so starting the login again
before finishing the first tab does not void that tab."""


def login_cookie_name(binding: str) -> str:
    return f"{LOGIN_COOKIE}_{binding[:12]}"


def _login_bindings(request: Request) -> list[str]:
    """The bindings of every login this browser started (still within their lifetime)."""
    return [
        value
        for name, value in request.cookies.items()
        if name == LOGIN_COOKIE or name.startswith(f"{LOGIN_COOKIE}_")
    ]


def get_activation_clock() -> Callable[[], datetime]:
    """The clock that dates and expires login states (tests override this dependency)."""
    return utcnow


ClockDep = Annotated[Callable[[], datetime], Depends(get_activation_clock)]


#: The page text for each login failure (the codes stay in the JSON answer, for operators).
_PAGE_TEXTS = {
    "fortnox_access_denied": "login.failed.denied",
    "invalid_state": "login.failed.expired",
    "state_expired": "login.failed.expired",
    "state_reused": "login.failed.used",  # a double-clicked callback: the first may have won
    "state_not_bound": "login.failed.expired",
    "missing_code": "login.failed.expired",
    "invalid_login_link": "login.failed.link",
    "login_link_expired": "login.failed.link_expired",
    "tenant_already_connected": "login.failed.company_taken",
    "tenant_mismatch": "login.failed.other_company",
    "fortnox_unavailable": "login.failed.unavailable",
    "fortnox_client_rejected": "login.failed.service",
    "installation_not_found": "login.failed.gone",
}


def _error(request: Request, error: ActivationError) -> Response:
    """The refusal as the caller reads it; the log keeps its code for the operator (a browser's
    page shows none)."""
    context = {"code": error.code}
    if error.installation_id is not None:
        context["installation_id"] = str(error.installation_id)
    logger.warning("Fortnox login not completed: %s", error.code, extra=context)
    if not wants_html(request):
        return error_response(error.status_code, error.code, error.message)
    return failure_page(
        request,
        error.status_code,
        error.code,
        texts="login.failed",
        explanations=_PAGE_TEXTS,
        otherwise="login.failed.other",
    )


def _installation_of_link(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise invalid_login_link() from None


@router.get(
    "/activate/{installation_id}/fortnox",
    summary="Log in to Fortnox (opened by the Upsales app)",
    description="Open it through the installation's `fortnox_login_url` (from the operator API; "
    "valid 24 hours, every read mints a new one): the Upsales app's oauth button opens that "
    "URL. Redirects (302) to Fortnox's consent page with a signed, single-use state that "
    "expires in 10 minutes and asks for every scope the sync needs, and sets a cookie that "
    "binds the login to this browser. Without a genuine `token` for this installation: 403 "
    "`invalid_login_link`; with an expired one: 403 `login_link_expired`; nothing is stored.",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        **error_responses(404),
        403: {"model": ErrorEnvelope, "description": "A missing, wrong or expired login link."},
    },
)
async def start_fortnox_login(
    # Read as text: an id cut or altered on its way is a link no longer valid (its page for a
    # browser), not a validation error.
    installation_id: Annotated[
        str, Path(title="Installation Id", json_schema_extra={"format": "uuid"})
    ],
    request: Request,
    services: ServicesDep,
    clock: ClockDep,
    token: Annotated[str | None, Query(description="The login link's signed token.")] = None,
) -> Response:
    try:
        started = await FortnoxLogin(services, clock=clock).start(
            _installation_of_link(installation_id), token
        )
    except ActivationError as error:
        with suppress(ValueError):
            error.installation_id = error.installation_id or uuid.UUID(installation_id)
        return _error(request, error)
    response = RedirectResponse(started.authorization_url, status_code=302)
    response.set_cookie(
        login_cookie_name(started.browser_binding),
        started.browser_binding,
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=CALLBACK_PATH,
        secure=services.settings.public_base_url.lower().startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    CALLBACK_PATH,
    summary="Fortnox OAuth2 callback",
    description="Exchanges the code, stores the tokens encrypted, records the Fortnox company and "
    "activates the installation, then redirects (302) back to Upsales. Codes: "
    "`fortnox_access_denied`, `invalid_state`, `state_expired`, `state_reused`, "
    "`state_not_bound` (the login was started in another browser), `missing_code`, "
    "`code_exchange_failed` (400); `installation_not_found` (404); `tenant_already_connected`, "
    "`tenant_mismatch` (409); `fortnox_unavailable`, `fortnox_tenant_unknown` (502); "
    "`fortnox_client_rejected` (503: Fortnox refused the service's own client id and secret, "
    "the operator's to correct). On any error nothing about the installation is stored.",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        **error_responses(404, 409),
        400: {"model": ErrorEnvelope, "description": "Denied consent or a bad login link."},
        502: {"model": ErrorEnvelope, "description": "Fortnox could not be reached."},
        503: {
            "model": ErrorEnvelope,
            "description": "Fortnox refused the service's own client credentials.",
        },
    },
)
async def fortnox_callback(
    request: Request,
    services: ServicesDep,
    clock: ClockDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    try:
        await FortnoxLogin(services, clock=clock).complete(
            code=code, state=state, bindings=_login_bindings(request), error=error
        )
    except ActivationError as failure:
        return _error(request, failure)
    return RedirectResponse(services.settings.upsales_return_url, status_code=302)
