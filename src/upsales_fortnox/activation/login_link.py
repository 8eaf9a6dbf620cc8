"""The signed link that starts a Fortnox login (pure functions, no I/O).

Only someone handed the link may connect a Fortnox company to an installation: the operator API
returns it as ``fortnox_login_url`` and the Upsales app's oauth button opens it. The link is
``/activate/<installation id>/fortnox?token=<token>``, the token being ``v1.<expiry (epoch
seconds)>.<signature>`` and the signature base64url HMAC-SHA256 of ``v1.<installation id>.<expiry>``
under a key derived (HKDF) from ``SECRET_KEY`` for this purpose only (not the OAuth state's key).
A link is valid for :data:`LOGIN_LINK_LIFETIME`; every read of the installation mints a fresh one.
The link inside the generated Upsales app configuration, which stays put, is minted for
:data:`APP_CONFIG_LOGIN_LINK_LIFETIME` (the operator may choose another); printing the
configuration again mints a new one, and changing ``SECRET_KEY`` voids every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from upsales_fortnox.activation.errors import ActivationError
from upsales_fortnox.integrations.digits import parse_digits

LOGIN_LINK_LIFETIME: Final = timedelta(hours=24)
APP_CONFIG_LOGIN_LINK_LIFETIME: Final = timedelta(days=365)
_VERSION: Final = "v1"
_KEY_INFO: Final = b"upsales-fortnox-sync fortnox login link v1"
_MAX_TOKEN_LENGTH: Final = 200
_MAX_EXPIRY_DIGITS: Final = 11


def invalid_login_link(
    message: str = "this Fortnox login link is not valid; ask for a new one",
) -> ActivationError:
    return ActivationError(403, "invalid_login_link", message)


def login_path(installation_id: uuid.UUID) -> str:
    return f"/activate/{installation_id}/fortnox"


class LoginLinkSigner:
    """Mints and checks login-link tokens with a key derived from ``SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
            secret_key.encode()
        )

    def _signature(self, installation_id: uuid.UUID, expiry: int) -> str:
        signed = f"{_VERSION}.{installation_id}.{expiry}".encode()
        digest = hmac.new(self._key, signed, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def token(
        self,
        installation_id: uuid.UUID,
        *,
        now: datetime,
        lifetime: timedelta = LOGIN_LINK_LIFETIME,
    ) -> str:
        expiry = int((now + lifetime).timestamp())
        return f"{_VERSION}.{expiry}.{self._signature(installation_id, expiry)}"

    def url(
        self,
        public_base_url: str,
        installation_id: uuid.UUID,
        *,
        now: datetime,
        lifetime: timedelta = LOGIN_LINK_LIFETIME,
    ) -> str:
        query = urlencode({"token": self.token(installation_id, now=now, lifetime=lifetime)})
        return f"{public_base_url.rstrip('/')}{login_path(installation_id)}?{query}"

    def verify(self, token: str | None, installation_id: uuid.UUID, *, now: datetime) -> None:
        """Raises 403 ``invalid_login_link`` unless the token is genuine and for this
        installation, 403 ``login_link_expired`` once it has expired."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise invalid_login_link()
        version, _, rest = token.partition(".")
        expiry_part, _, signature = rest.partition(".")
        expiry = parse_digits(expiry_part, max_digits=_MAX_EXPIRY_DIGITS)
        if version != _VERSION or expiry is None or not signature:
            raise invalid_login_link()
        expected = self._signature(installation_id, expiry)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise invalid_login_link()
        if datetime.fromtimestamp(expiry, UTC) <= now:
            # Its own code: the button in Upsales opens this same link, so only a new one helps.
            raise ActivationError(
                403,
                "login_link_expired",
                "this Fortnox login link has expired; mint a new one (the installation's "
                "fortnox_login_url, or print the app configuration again)",
            )
