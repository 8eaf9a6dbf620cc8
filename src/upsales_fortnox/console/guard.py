"""The console's gate: a valid session for every page, a valid CSRF token for every action."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from upsales_fortnox.api.deps import SessionDep, get_services
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.console.login_session import SESSION_COOKIE, ConsoleSession, SessionSigner
from upsales_fortnox.console.repository import session_ended


class ConsoleLoginRequired(Exception):
    """No valid session: pages redirect to the login form, actions are refused (401)."""


def signer_for(request: Request) -> SessionSigner:
    settings = get_services(request).settings
    return SessionSigner(
        settings.secret_key.get_secret_value(), settings.admin_token.get_secret_value()
    )


async def require_session(request: Request, db: SessionDep) -> ConsoleSession:
    """The session of the request's cookie: genuine, not expired and not logged out of."""
    session = signer_for(request).read(request.cookies.get(SESSION_COOKIE), time.time())
    if session is None or await session_ended(db, session.nonce):
        raise ConsoleLoginRequired
    request.state.console_session = session
    return session


def session_of(request: Request) -> ConsoleSession | None:
    """The session :func:`require_session` found for this request (None before, or without)."""
    session = getattr(request.state, "console_session", None)
    return session if isinstance(session, ConsoleSession) else None


SessionRequired = Annotated[ConsoleSession, Depends(require_session)]


async def checked_form(request: Request, session: ConsoleSession) -> FormData:
    """The action's form, once its CSRF token matches the session's."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not SessionSigner.token_matches(given, session.csrf_token):
        raise ApiError(403, "csrf_failed", "the form's CSRF token is missing or not valid")
    return form
