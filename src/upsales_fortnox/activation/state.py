"""The signed OAuth ``state`` of a Fortnox login (pure functions, no I/O).

The state binds the login to one installation and one nonce and carries its expiry:
``v1.<payload>.<signature>``, the payload being base64url JSON ``{"i": installation id,
"n": nonce, "e": expiry (epoch seconds)}`` and the signature base64url HMAC-SHA256 of
``v1.<payload>`` under a key derived (HKDF) from ``SECRET_KEY`` for this purpose only. The
signature makes it tamper-proof; the nonce (stored by :mod:`.repository`) makes it single use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from upsales_fortnox.activation.errors import invalid_state, state_expired

STATE_LIFETIME: Final = timedelta(minutes=10)
"""How long a login may take (the same as a Fortnox authorization code's lifetime)."""
_VERSION: Final = "v1"
_KEY_INFO: Final = b"upsales-fortnox-sync oauth state v1"
_MAX_STATE_LENGTH: Final = 512


@dataclass(frozen=True)
class StateClaims:
    installation_id: uuid.UUID
    nonce: str
    expires_at: datetime


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def browser_binding(nonce: str) -> str:
    """What the login cookie holds: a hash of the state's nonce (the nonce itself stays in the
    state only), so the callback can tell the browser that started the login."""
    return _b64(hashlib.sha256(nonce.encode()).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StateSigner:
    """Signs and verifies states with a key derived from ``SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
            secret_key.encode()
        )

    def _signature(self, signed_part: str) -> str:
        return _b64(hmac.new(self._key, signed_part.encode(), hashlib.sha256).digest())

    def sign(self, claims: StateClaims) -> str:
        payload = {
            "i": str(claims.installation_id),
            "n": claims.nonce,
            "e": int(claims.expires_at.timestamp()),
        }
        signed_part = f"{_VERSION}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        return f"{signed_part}.{self._signature(signed_part)}"

    def verify(self, state: str | None, *, now: datetime) -> StateClaims:
        """The claims of a genuine, unexpired state.

        Raises :class:`~.errors.ActivationError` ``invalid_state`` (missing, malformed or
        tampered) or ``state_expired``.
        """
        if not state or len(state) > _MAX_STATE_LENGTH:
            raise invalid_state()
        version, _, rest = state.partition(".")
        payload_part, _, signature = rest.partition(".")
        if version != _VERSION or not payload_part or not signature:
            raise invalid_state()
        expected = self._signature(f"{version}.{payload_part}")
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise invalid_state()
        try:
            payload = json.loads(_unb64(payload_part))
            claims = StateClaims(
                installation_id=uuid.UUID(str(payload["i"])),
                nonce=str(payload["n"]),
                expires_at=datetime.fromtimestamp(int(payload["e"]), UTC),
            )
        except (ValueError, KeyError, TypeError):
            raise invalid_state() from None
        if claims.expires_at <= now:
            raise state_expired()
        return claims
