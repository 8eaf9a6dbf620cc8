"""The little of an installation that the webhook intake needs, and checking its secrets.

Secrets stay encrypted until a check needs one; an unset or empty secret never matches anything.
:class:`~upsales_fortnox.intake.repository.loader.InstallationLoader` loads them for the webhook
endpoints.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.core.crypto import DecryptionError, SecretBox, constant_time_equals

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookInstallation:
    """An installation as seen by the intake. Holds its secrets encrypted only."""

    id: uuid.UUID
    version: int
    status: str
    fortnox_tenant_id: str | None
    upsales_api_token_enc: str | None = field(repr=False)
    webhook_secret_enc: str | None = field(repr=False)


def parse_installation_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def secret_matches(given: str | None, stored_enc: str | None, secret_box: SecretBox) -> bool:
    """Whether ``given`` equals the decrypted stored secret, compared in constant time.

    False when either is missing or empty, so an installation without a secret accepts nobody.
    A stored value that no longer decrypts (wrong ``SECRET_KEY``) matches nothing either.
    """
    if not given or not stored_enc:
        return False
    try:
        expected = secret_box.decrypt(stored_enc)
    except DecryptionError:
        logger.error("a stored webhook credential cannot be decrypted; is SECRET_KEY right?")
        return False
    if not expected:
        return False
    try:
        return constant_time_equals(given, expected)
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape can never match
        return False


SECRET_DIGESTS_KEPT: Final = 4096


class SecretChecker:
    """:func:`secret_matches` without decrypting the stored secret on every request.

    Remembers, per stored ciphertext, an HMAC of its plaintext under a key that exists only in
    this process's memory (never the plaintext), and compares the HMAC of the given secret with
    it in constant time. Keyed by the ciphertext itself: a rotated secret is a new ciphertext,
    so it takes effect at once and no entry ever needs to expire (the least recently used go
    beyond :data:`SECRET_DIGESTS_KEPT`). Measured: about 10 µs per check decrypting, 3 µs with this.
    """

    def __init__(self, secret_box: SecretBox, *, capacity: int = SECRET_DIGESTS_KEPT) -> None:
        self._secret_box = secret_box
        self._capacity = capacity
        self._key = secrets.token_bytes(32)
        self._digests: OrderedDict[str, bytes | None] = OrderedDict()

    def matches(self, given: str | None, stored_enc: str | None) -> bool:
        """Same answers as :func:`secret_matches`."""
        if not given or not stored_enc:
            return False
        expected = self._digest_of_stored(stored_enc)
        if expected is None:
            return False
        try:
            given_bytes = given.encode()
        except UnicodeEncodeError:  # a lone surrogate can never match
            return False
        return hmac.compare_digest(self._digest(given_bytes), expected)

    def _digest(self, plaintext: bytes) -> bytes:
        return hmac.digest(self._key, plaintext, "sha256")

    def _digest_of_stored(self, stored_enc: str) -> bytes | None:
        """The stored secret's digest; None when it is empty or does not decrypt."""
        try:
            digest = self._digests[stored_enc]
        except KeyError:
            pass
        else:
            self._digests.move_to_end(stored_enc)
            return digest
        try:
            expected = self._secret_box.decrypt(stored_enc)
        except DecryptionError:
            logger.error("a stored webhook credential cannot be decrypted; is SECRET_KEY right?")
            digest = None
        else:
            digest = self._digest(expected.encode()) if expected else None
        self._digests[stored_enc] = digest
        if len(self._digests) > self._capacity:
            self._digests.popitem(last=False)
        return digest
