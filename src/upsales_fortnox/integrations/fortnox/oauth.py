"""Fortnox OAuth2 (authorization code flow); the token calls go through Authlib's httpx client.

Authorization URL ``{auth_base}/auth``; code exchange and refresh at ``{auth_base}/token`` with
HTTP Basic client authentication and a form body; revocation at ``{auth_base}/revoke``.
Refresh tokens are single use: every refresh returns a new pair, which the caller must persist
(see :mod:`upsales_fortnox.installations.fortnox_tokens`, which also keeps refreshes
single-flight). This module only speaks the protocol and keeps no tokens.
"""

from __future__ import annotations

import base64
import json
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAuthError,
    FortnoxClientRejected,
    FortnoxMalformedResponse,
    FortnoxRateLimited,
    FortnoxRefreshRejected,
    FortnoxUnavailable,
    parse_retry_after,
)
from upsales_fortnox.integrations.fortnox.facts import (
    CLIENT_CREDENTIALS_TENANT_FIELD,
    CLIENT_CREDENTIALS_TENANT_HEADER,
    SERVICE_CLIENT_REFUSED_ERRORS,
)

with warnings.catch_warnings():
    # Authlib warns that it prefers the "httpx2" package; plain httpx is what we use.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

logger = logging.getLogger(__name__)

#: Scopes the sync needs (reference §3); every scope grants read and write.
DEFAULT_SCOPES: Final = (
    "customer",
    "article",
    "price",
    "order",
    "invoice",
    "offer",
    "companyinformation",
    "payment",
)
#: The longest tenant id (``DatabaseNumber``) taken, as the service-account connection's.
MAX_TENANT_DIGITS: Final = 20
#: Access token lifetime when the token response has no ``expires_in``.
DEFAULT_ACCESS_TOKEN_LIFETIME: Final = timedelta(hours=1)
#: OAuth ``error`` values and message fragments meaning the grant (refresh token/code) is dead.
_REJECTED_GRANT_ERRORS: Final = frozenset({"invalid_grant", "invalid_token"})
_REJECTED_GRANT_MESSAGES: Final = ("invalid refresh token", "auth code", "service account")
"""("Client does not allow service account": fortnox.md §2, FAQ texts.)"""


@dataclass(frozen=True)
class TokenSet:
    """One access/refresh token pair. The tokens are kept out of ``repr``."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scope: str = ""

    @property
    def tenant_id(self) -> str | None:
        return tenant_id_from_access_token(self.access_token)


def tenant_id_text(value: Any) -> str | None:
    """``value`` as a Fortnox tenant id (``DatabaseNumber``: a number, or 1 to
    :data:`MAX_TENANT_DIGITS` digits as text), or None when it is none."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and parse_digits(value, max_digits=MAX_TENANT_DIGITS) is not None:
        return value
    return None


def tenant_id_from_access_token(access_token: str) -> str | None:
    """The ``tenantId`` claim of a JWT access token, read without verifying the signature.

    Only for routing (which tenant a token belongs to); None if the token is not a JWT or the
    claim is not a tenant id (:func:`tenant_id_text`).
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return None
    return tenant_id_text(claims.get("tenantId")) if isinstance(claims, dict) else None


class FortnoxOAuth:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        auth_base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        on_answer: Callable[[int | None], None] | None = None,
    ) -> None:
        """``on_answer``: told each request's HTTP status, or None when it got no answer (for
        metrics)."""
        self._client_id = client_id
        self._client_secret = client_secret
        self._base = auth_base_url.rstrip("/")
        self._clock = clock
        self._timeout = timeout
        self._transport = transport
        self._on_answer = on_answer or (lambda status: None)

    @property
    def token_url(self) -> str:
        return f"{self._base}/token"

    def authorization_url(
        self, *, state: str, redirect_uri: str, scopes: Sequence[str] = DEFAULT_SCOPES
    ) -> str:
        """Where to send the user's browser to approve access (asks for a refresh token).

        Spaces are encoded ``%20``, as in Fortnox's documentation.
        """
        query = urlencode(
            {
                "client_id": self._client_id,
                "response_type": "code",
                "state": state,
                "scope": " ".join(scopes),
                "redirect_uri": redirect_uri,
                "access_type": "offline",
            },
            quote_via=quote,
        )
        return f"{self._base}/auth?{query}"

    async def exchange_code(self, code: str, *, redirect_uri: str) -> TokenSet:
        """Trade an authorization code for tokens; ``redirect_uri`` must match the auth URL's."""
        async with self._client() as client:
            token = await self._call(
                "code exchange",
                client.fetch_token(
                    self.token_url,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                ),
            )
        return self._token_set(token, what="code exchange")

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A new token pair; the given refresh token is used up whatever the outcome."""
        async with self._client() as client:
            token = await self._call(
                "token refresh", client.refresh_token(self.token_url, refresh_token=refresh_token)
            )
        return self._token_set(token, what="token refresh")

    async def client_credentials(self, tenant_id: str) -> TokenSet:
        """A service account's access token for ``tenant_id``; it has no refresh token (the
        set's ``refresh_token`` is empty): ask again when it expires."""
        async with self._client() as client:
            token = await self._call(
                "client credentials",
                client.fetch_token(
                    self.token_url,
                    grant_type="client_credentials",
                    headers={CLIENT_CREDENTIALS_TENANT_HEADER: tenant_id},
                    **{CLIENT_CREDENTIALS_TENANT_FIELD: tenant_id},
                ),
            )
        return self._token_set(token, what="client credentials", with_refresh=False)

    async def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (when an installation disconnects)."""
        async with self._client() as client:
            response = await self._call(
                "token revocation",
                client.revoke_token(
                    f"{self._base}/revoke", token=refresh_token, token_type_hint="refresh_token"
                ),
            )
        self._on_answer(response.status_code)
        if response.status_code >= 400:
            raise _status_error("token revocation", response)

    def _client(self) -> AsyncOAuth2Client:
        client = AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            timeout=self._timeout,
            transport=self._transport,
        )
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, self._answered)
        return client

    def _answered(self, response: httpx.Response) -> httpx.Response:
        """Count the answer, then refuse a 429 (one hook: authlib keeps its hooks in a set, so
        two would run in no set order and a 429 could go uncounted)."""
        self._on_answer(response.status_code)
        return _raise_for_rate_limit(response)

    async def _call(self, what: str, call: Any) -> Any:
        try:
            return await call
        except OAuthError as exc:
            error = _oauth_error(what, str(exc.error), exc.description)
            if isinstance(error, FortnoxClientRejected):
                logger.error(
                    "Fortnox refused the service's own OAuth client at the %s (%s): correct "
                    "FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET (no installation's login is at "
                    "fault; its jobs wait and go on by themselves once they are right)",
                    what,
                    error.code,
                    extra={"code": error.code},
                )
            raise error from None
        except httpx.HTTPStatusError as exc:
            raise _status_error(what, exc.response) from None
        except httpx.TransportError as exc:
            self._on_answer(None)
            if isinstance(exc, httpx.TimeoutException):
                raise FortnoxUnavailable(f"{what}: Fortnox timed out") from None
            raise FortnoxUnavailable(f"{what}: {type(exc).__name__}") from None
        except ValueError:
            raise FortnoxMalformedResponse(f"{what}: the response is not a JSON object") from None
        except OverflowError:  # authlib adds ``expires_in`` to the clock before we see it
            raise _lifetime_out_of_range(what) from None

    def _token_set(
        self, token: dict[str, Any], *, what: str, with_refresh: bool = True
    ) -> TokenSet:
        access_token = token.get("access_token")
        refresh_token = token.get("refresh_token") if with_refresh else ""
        if not isinstance(access_token, str) or not isinstance(refresh_token, str):
            message = token.get("message") or token.get("error_description")
            raise _oauth_error(what, None, message if isinstance(message, str) else None)
        expires_in = token.get("expires_in")
        try:
            lifetime = (
                timedelta(seconds=float(expires_in))
                if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
                else DEFAULT_ACCESS_TOKEN_LIFETIME
            )
            expires_at = self._clock() + lifetime
        except OverflowError:
            raise _lifetime_out_of_range(what) from None
        scope = token.get("scope")
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=expires_at,
            scope=scope if isinstance(scope, str) else "",
        )


def _lifetime_out_of_range(what: str) -> FortnoxMalformedResponse:
    """A token answer whose ``expires_in`` no date can hold (``1e20``, ``Infinity``)."""
    return FortnoxMalformedResponse(f"{what}: the token's lifetime is out of range")


def _raise_for_rate_limit(response: httpx.Response) -> httpx.Response:
    """Authlib would read a 429's JSON body as a token reply; make it a status error instead."""
    if response.status_code == 429:
        response.raise_for_status()
    return response


def _oauth_error(what: str, error: str | None, description: str | None) -> Exception:
    """Map an OAuth error reply: a dead grant needs a new login; a refused client is the
    service's configuration, waited out (:class:`FortnoxClientRejected`); anything else is
    permanent."""
    text = f"{what} refused: {error or 'error'}" + (f" ({description})" if description else "")
    lowered = (description or "").lower()
    if error in _REJECTED_GRANT_ERRORS or any(m in lowered for m in _REJECTED_GRANT_MESSAGES):
        return FortnoxRefreshRejected(text, fortnox_message=description)
    if error in SERVICE_CLIENT_REFUSED_ERRORS:
        return FortnoxClientRejected(text, fortnox_message=description)
    if error is None and description is None:
        return FortnoxMalformedResponse(f"{what}: the response holds no tokens")
    return FortnoxAuthError(text, fortnox_message=description)


def _status_error(what: str, response: httpx.Response) -> Exception:
    status = response.status_code
    if status == 429:
        return FortnoxRateLimited(
            f"{what}: HTTP 429", status=status, retry_after=parse_retry_after(response)
        )
    if status >= 500:
        return FortnoxUnavailable(f"{what}: HTTP {status}", status=status)
    return FortnoxAuthError(f"{what}: HTTP {status}", status=status)
