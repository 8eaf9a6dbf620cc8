"""Encryption of secrets at rest with a key derived from ``SECRET_KEY``."""

from __future__ import annotations

import base64
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_INFO = b"upsales-fortnox-sync secrets at rest v1"


class DecryptionError(Exception):
    """A stored secret could not be decrypted (wrong SECRET_KEY or corrupted value)."""


class SecretBox:
    """Encrypts and decrypts short secrets (tokens, API keys) with Fernet (AES-128-CBC + HMAC)."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionError("stored secret cannot be decrypted") from exc

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, ciphertext: str | None) -> str | None:
        return None if ciphertext is None else self.decrypt(ciphertext)


def constant_time_equals(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)
