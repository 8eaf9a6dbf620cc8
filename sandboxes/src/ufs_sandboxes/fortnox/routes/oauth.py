"""The imitated OAuth2 endpoints under ``/oauth-v1/`` (authorization code flow, and the
client-credentials grant of service accounts).

``GET /oauth-v1/auth`` consents at once (no login page) and redirects back with ``code`` and
``state``. Which tenant consents: the ``tenant`` query parameter (a sandbox extension), else
the admin's choice, else the first tenant. The admin can make the next consent a denial
(``error=access_denied``). Errors before the redirect URI is trusted are answered directly.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from ufs_sandboxes.fortnox.oauth import SCOPES, OAuthError
from ufs_sandboxes.fortnox.routes.common import json_response

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def add_oauth_routes(router: APIRouter, sandbox: FortnoxSandbox) -> None:
    config = sandbox.config

    @router.get("/oauth-v1/auth", tags=["Fortnox OAuth2"])
    async def authorize(request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != config.client_id:
            return _oauth_error(OAuthError(400, "invalid_client", "Unknown client_id"))
        redirect_uri = params.get("redirect_uri")
        registered = config.redirect_uris
        if registered and redirect_uri is not None and redirect_uri not in registered:
            return _oauth_error(OAuthError(400, "invalid_request", "redirect_uri mismatch"))
        target = redirect_uri or (config.redirect_uris[0] if config.redirect_uris else None)
        if target is None:
            return _oauth_error(OAuthError(400, "invalid_request", "redirect_uri is required"))
        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(target, state, error="unsupported_response_type")
        scopes = frozenset(params.get("scope", "").split())
        if not scopes or not scopes <= SCOPES:
            return _redirect(target, state, error="invalid_scope")
        tenant_param = params.get("tenant")
        if tenant_param is not None:
            if not tenant_param.isdigit() or int(tenant_param) not in sandbox.tenants:
                return _oauth_error(OAuthError(400, "invalid_request", "Unknown tenant"))
            tenant_id = int(tenant_param)
        else:
            tenant_id = sandbox.consenting_tenant_id()
        if not sandbox.take_consent_decision():
            return _redirect(target, state, error="access_denied")
        code = sandbox.oauth.issue_code(tenant_id, scopes, redirect_uri)
        return _redirect(target, state, code=code)

    @router.post("/oauth-v1/token", tags=["Fortnox OAuth2"])
    async def token(request: Request) -> Response:
        try:
            _authenticate_client(sandbox, request)
            form = await _form(request)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                pair = sandbox.oauth.exchange_code(form.get("code", ""), form.get("redirect_uri"))
            elif grant_type == "refresh_token":
                pair = sandbox.oauth.refresh(form.get("refresh_token", ""))
            elif grant_type == "client_credentials":
                tenant = _service_tenant(sandbox, request, form)
                answer = sandbox.oauth.client_credentials(tenant)
                return json_response(answer, headers=_NO_STORE)
            else:
                raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")
        except OAuthError as error:
            return _oauth_error(error)
        return json_response(pair.as_response(), headers=_NO_STORE)

    @router.post("/oauth-v1/revoke", tags=["Fortnox OAuth2"])
    async def revoke(request: Request) -> Response:
        try:
            _authenticate_client(sandbox, request)
            form = await _form(request)
        except OAuthError as error:
            return _oauth_error(error)
        sandbox.oauth.revoke(form.get("token", ""))
        return json_response({"revoked": True})


def _service_tenant(sandbox: FortnoxSandbox, request: Request, form: dict[str, str]) -> int:
    """The tenant a client-credentials request names (header ``TenantId`` or form field
    ``tenantId``: which one Fortnox reads is unverified, so the sandbox takes either)."""
    raw = request.headers.get("TenantId") or form.get("tenantId") or ""
    if not raw.isdigit() or int(raw) not in sandbox.tenants:
        raise OAuthError(400, "invalid_request", "Unknown or missing tenant")
    return int(raw)


def _authenticate_client(sandbox: FortnoxSandbox, request: Request) -> None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id, secret = "", ""
        if sandbox.oauth.client_matches(client_id, secret):
            return
    raise OAuthError(401, "invalid_client", "Invalid client credentials")


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def _redirect(target: str, state: str | None, **values: str) -> Response:
    query = dict(values)
    if state is not None:
        query["state"] = state
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}{urlencode(query)}", status_code=302)


def _oauth_error(error: OAuthError) -> Response:
    return json_response(error.body(), status_code=error.status, headers=_NO_STORE)
