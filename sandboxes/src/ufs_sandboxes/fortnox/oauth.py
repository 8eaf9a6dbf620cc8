"""OAuth2 state: authorization codes, access tokens and rotating single-use refresh tokens.

Access tokens are JWT-shaped (three base64url parts, HS256 over a key private to this sandbox)
and carry a ``tenantId`` claim like Fortnox's. The sandbox never verifies the signature: it
looks tokens up in its own table (O(1)), which also makes revoking possible.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from ufs_sandboxes.fortnox.config import Clock, FortnoxSandboxConfig

SCOPES = frozenset(
    {
        "customer",
        "article",
        "price",
        "order",
        "invoice",
        "offer",
        "companyinformation",
        "settings",
        "currency",
        "project",
        "costcenter",
        "payment",
        "bookkeeping",
        "salary",
        "profile",
        "warehouse",
    }
)
RESOURCE_SCOPES = {
    "customers": "customer",
    "articles": "article",
    "pricelists": "price",
    "prices": "price",
    "orders": "order",
    "invoices": "invoice",
    "offers": "offer",
    "invoicepayments": "payment",
    "companyinformation": "companyinformation",
}
"""First path segment after ``/3/`` → the scope a token needs for it."""


class OAuthError(Exception):
    """An OAuth-shaped error answer: ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    client_id: str
    tenant_id: int
    scopes: frozenset[str]
    redirect_uri: str | None
    expires_at: float


@dataclass(frozen=True, slots=True)
class Grant:
    """What an access or refresh token stands for. ``grant_id`` ties a token family together."""

    grant_id: str
    client_id: str
    tenant_id: int
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    scope: str
    expires_in: int
    token_type: str = "bearer"

    def as_response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OAuthState:
    def __init__(self, config: FortnoxSandboxConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._signing_key = secrets.token_bytes(32)
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.revoked_service_consents: set[int] = set()

    def clear(self) -> None:
        self.codes.clear()
        self.access_tokens.clear()
        self.refresh_tokens.clear()

    def client_matches(self, client_id: str, client_secret: str) -> bool:
        id_ok = hmac.compare_digest(client_id.encode(), self._config.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self._config.client_secret.encode())
        return id_ok and secret_ok

    def issue_code(self, tenant_id: int, scopes: frozenset[str], redirect_uri: str | None) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            client_id=self._config.client_id,
            tenant_id=tenant_id,
            scopes=scopes,
            redirect_uri=redirect_uri,
            expires_at=self._clock() + self._config.auth_code_lifetime,
        )
        return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> TokenPair:
        """Single use: the code is gone after the first try, good or bad."""
        entry = self.codes.pop(code, None)
        if entry is None or entry.expires_at <= self._clock():
            raise OAuthError(400, "invalid_grant", "Auth code or ClientID supplied is invalid")
        if entry.redirect_uri is not None and entry.redirect_uri != redirect_uri:
            raise OAuthError(400, "invalid_grant", "Redirect URI does not match")
        return self.issue_tokens(entry.tenant_id, entry.scopes)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Single use and rotating: a used, expired or revoked token fails the same way."""
        grant = self.refresh_tokens.pop(refresh_token, None)
        if grant is None or grant.expires_at <= self._clock():
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        return self.issue_tokens(grant.tenant_id, grant.scopes, grant_id=grant.grant_id)

    def issue_tokens(
        self, tenant_id: int, scopes: frozenset[str], *, grant_id: str | None = None
    ) -> TokenPair:
        now = self._clock()
        grant_id = grant_id or secrets.token_hex(8)
        access_grant = Grant(
            grant_id,
            self._config.client_id,
            tenant_id,
            scopes,
            now + self._config.access_token_lifetime,
        )
        access_token = self._jwt(access_grant, now)
        refresh_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = access_grant
        self.refresh_tokens[refresh_token] = Grant(
            grant_id,
            self._config.client_id,
            tenant_id,
            scopes,
            now + self._config.refresh_token_lifetime,
        )
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            scope=" ".join(sorted(scopes)),
            expires_in=int(self._config.access_token_lifetime),
        )

    def client_credentials(self, tenant_id: int) -> dict[str, Any]:
        """A service account's token answer: an access token and no refresh token."""
        if tenant_id in self.revoked_service_consents:
            raise OAuthError(400, "invalid_grant", "Client does not allow service account")
        now = self._clock()
        scopes = frozenset(SCOPES)
        grant = Grant(
            secrets.token_hex(8),
            self._config.client_id,
            tenant_id,
            scopes,
            now + self._config.access_token_lifetime,
        )
        access_token = self._jwt(grant, now)
        self.access_tokens[access_token] = grant
        return {
            "access_token": access_token,
            "scope": " ".join(sorted(scopes)),
            "expires_in": int(self._config.access_token_lifetime),
            "token_type": "bearer",
        }

    def revoke_service_consent(self, tenant_id: int) -> None:
        """The tenant's admin withdraws the service account's consent (its tokens die too)."""
        self.revoked_service_consents.add(tenant_id)
        for key in [k for k, grant in self.access_tokens.items() if grant.tenant_id == tenant_id]:
            del self.access_tokens[key]

    def revoke(self, token: str) -> None:
        """Revoke a refresh (or access) token and every token of its grant."""
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if grant is None:
            return
        for table in (self.refresh_tokens, self.access_tokens):
            for key in [key for key, value in table.items() if value.grant_id == grant.grant_id]:
                del table[key]

    def lookup_access_token(self, token: str) -> Grant | None:
        """The grant of a known access token, expired or not."""
        return self.access_tokens.get(token)

    def is_expired(self, grant: Grant) -> bool:
        return grant.expires_at <= self._clock()

    def _jwt(self, grant: Grant, now: float) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": "fortnox-sandbox",
            "jti": secrets.token_hex(8),
            "tenantId": grant.tenant_id,
            "clientId": grant.client_id,
            "scope": " ".join(sorted(grant.scopes)),
            "iat": int(now),
            "exp": int(grant.expires_at),
        }
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"
