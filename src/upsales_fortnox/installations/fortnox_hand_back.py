"""Handing Fortnox tokens back (revoking them) once the service will not hold them: a login
refused after its code exchange, an installation deleted. Best effort: a revocation that fails
is logged and leaves the tokens to expire (Fortnox's refresh token lives 45 days unused)."""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.core.crypto import DecryptionError, SecretBox
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.installations.repository.tokens import read_credentials
from upsales_fortnox.integrations.errors import SyncError
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth

logger = logging.getLogger(__name__)


async def stored_refresh_token(
    session: DbSession, box: SecretBox, installation_id: uuid.UUID
) -> str | None:
    """The installation's Fortnox refresh token; None without one (no login, a service
    account) or when it cannot be decrypted."""
    credentials = await read_credentials(session, installation_id)
    if credentials is None or credentials.refresh_token_enc is None:
        return None
    try:
        return box.decrypt(credentials.refresh_token_enc)
    except DecryptionError:
        return None


async def hand_back(oauth: FortnoxOAuth, refresh_token: str | None, why: str) -> None:
    """Revoke ``refresh_token`` (``why``: whose tokens, for the log line when it fails)."""
    if not refresh_token:
        return
    try:
        await oauth.revoke(refresh_token)
    except SyncError as exc:
        logger.warning("%s Fortnox tokens were not revoked: %s", why, exc.code)
