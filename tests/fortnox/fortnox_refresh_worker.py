"""A separate OS process asking the token store for an access token, for the PostgreSQL tests.

Usage: ``python fortnox_refresh_worker.py DATABASE_URL INSTALLATION_ID AUTH_BASE_URL CALLERS``.
Prints one JSON line: the SHA-256 digests of the tokens its concurrent callers received
(or the error).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import uuid

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth

SECRET_KEY = "test-secret-key-0123456789"


async def main(database_url: str, installation_id: str, auth_base_url: str, callers: int) -> None:
    engine = create_engine(database_url)
    store = DbTokenStore(
        create_session_factory(engine),
        SecretBox(SECRET_KEY),
        FortnoxOAuth(
            client_id="client-id", client_secret="client-secret", auth_base_url=auth_base_url
        ),
    )
    try:
        tokens = await asyncio.gather(
            *(store.access_token(uuid.UUID(installation_id)) for _ in range(callers))
        )
        digests = [hashlib.sha256(token.encode()).hexdigest() for token in tokens]
        print(json.dumps({"digests": digests}))
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
