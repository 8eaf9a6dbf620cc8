"""Console sessions and CSRF tokens: HMAC-signed values.

A session cookie is ``<issued>.<nonce>.<signature>``; its CSRF token is an HMAC of the nonce,
so a token is valid only with the session it was issued for. The key derives from the
service's secret key and the operator token: changing the operator token ends every session.
The only state kept is the nonce of each session logged out of (:mod:`.repository`), until it
would have expired.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.core.crypto import constant_time_equals
from upsales_fortnox.integrations.digits import parse_digits

SESSION_COOKIE: Final = "ufs_console_session"
LOGIN_COOKIE: Final = "ufs_console_login"
SESSION_SECONDS: Final = 8 * 3600
"""How long a console login lasts."""


@dataclass(frozen=True)
class ConsoleSession:
    nonce: str
    csrf_token: str
    expires_at: float
    """When the cookie stops being valid (seconds since the epoch)."""


class SessionSigner:
    def __init__(self, secret_key: str, admin_token: str) -> None:
        self._key = hashlib.sha256(f"console|{secret_key}|{admin_token}".encode()).digest()

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float) -> str:
        """A new session cookie value."""
        body = f"{int(now)}.{secrets.token_urlsafe(24)}"
        return f"{body}.{self._sign('session', body)}"

    def read(self, cookie: str | None, now: float) -> ConsoleSession | None:
        """The session of a cookie value, or None when it is forged, malformed or expired."""
        if not cookie or len(cookie) > 200:
            return None
        parts = cookie.split(".")
        if len(parts) != 3:
            return None
        issued_text, nonce, signature = parts
        issued = parse_digits(issued_text)
        expected = self._sign("session", f"{issued_text}.{nonce}")
        if issued is None or not constant_time_equals(signature, expected):
            return None
        if not 0 <= now - issued < SESSION_SECONDS:
            return None
        return ConsoleSession(
            nonce=nonce, csrf_token=self._sign("csrf", nonce), expires_at=issued + SESSION_SECONDS
        )

    def login_token(self, login_nonce: str) -> str:
        """The CSRF token of the login form, bound to its pre-login cookie."""
        return self._sign("login", login_nonce)

    @staticmethod
    def token_matches(given: str | None, expected: str) -> bool:
        return given is not None and constant_time_equals(given, expected)
