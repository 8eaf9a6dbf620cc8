"""Signed document links (pure functions, no I/O).

A link is ``/documents/<installation id>/<kind>/<document number>?sig=<signature>``, the kind one
of ``invoice``, ``order``, ``offer``. The signature is base64url HMAC-SHA256 of
``v<key version>.<installation id>.<kind>.<number>`` under the installation's link key: HKDF of
``SECRET_KEY`` with the installation's stored salt (table ``document_link_keys``). The link has
no expiry; a new salt (an operator's rotation) or a removed installation voids it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Final
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from upsales_fortnox.vocabulary import FortnoxType

_KEY_INFO: Final = b"upsales-fortnox-sync document link v1"
#: The Fortnox documents a link may point at, by the kind its path names.
LINKABLE: Final = (FortnoxType.INVOICE, FortnoxType.ORDER, FortnoxType.OFFER)
MAX_SIGNATURE_LENGTH: Final = 64
"""Longer than any signature this module makes (43 characters)."""


def document_path(installation_id: uuid.UUID, kind: FortnoxType, number: str) -> str:
    return f"/documents/{installation_id}/{kind.value}/{number}"


class DocumentLinkSigner:
    """Signs and checks the links of one installation at one key version."""

    def __init__(self, secret_key: str, salt: str, key_version: int) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=salt.encode(), info=_KEY_INFO
        ).derive(secret_key.encode())
        self._version = key_version

    def signature(self, installation_id: uuid.UUID, kind: FortnoxType, number: str) -> str:
        signed = f"v{self._version}.{installation_id}.{kind.value}.{number}".encode()
        digest = hmac.new(self._key, signed, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(
        self, public_base_url: str, installation_id: uuid.UUID, kind: FortnoxType, number: str
    ) -> str:
        query = urlencode({"sig": self.signature(installation_id, kind, number)})
        path = document_path(installation_id, kind, number)
        return f"{public_base_url.rstrip('/')}{path}?{query}"

    def is_genuine(
        self, installation_id: uuid.UUID, kind: FortnoxType, number: str, signature: str
    ) -> bool:
        if not signature or len(signature) > MAX_SIGNATURE_LENGTH:
            return False
        expected = self.signature(installation_id, kind, number)
        return hmac.compare_digest(signature.encode(), expected.encode())
