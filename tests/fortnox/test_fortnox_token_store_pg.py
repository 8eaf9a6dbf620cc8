"""The token store on PostgreSQL: single-flight refresh within a process and across processes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import asyncpg
import pytest
from fortnox_testkit import NOW, TokenEndpoint, create_installation
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.fortnox_tokens import RELOGIN_REASON, DbTokenStore
from upsales_fortnox.installations.repository.installation_rows import mark_needs_relogin
from upsales_fortnox.installations.repository.tokens import fingerprint, still_stored
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth, TokenSet
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus

pytestmark = pytest.mark.postgres

Sessions = async_sessionmaker[AsyncSession]
MakeStore = Callable[[Sessions], DbTokenStore]
WORKER = Path(__file__).with_name("fortnox_refresh_worker.py")
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
async def pg_sessions(pg_database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(pg_database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_fifty_concurrent_callers_refresh_once_on_postgresql(
    pg_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(pg_sessions)
    expired = replace(token_endpoint.issue(), expires_at=NOW - timedelta(minutes=1))
    await make_store(pg_sessions).save_initial(installation_id, expired)
    store = make_store(pg_sessions)

    tokens = await asyncio.gather(*(store.access_token(installation_id) for _ in range(50)))

    assert token_endpoint.refresh_calls == 1
    assert len(set(tokens)) == 1


async def test_a_refused_refresh_parks_the_installation_on_postgresql(
    pg_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(pg_sessions)
    store = make_store(pg_sessions)
    first = token_endpoint.issue()
    await store.save_initial(installation_id, first)
    token_endpoint.reject_all = True

    with pytest.raises(ReauthorizationRequired):
        await store.refresh_after_rejection(installation_id, first.access_token)

    async with pg_sessions() as session:
        installation = await session.get(Installation, installation_id)
    assert installation is not None
    assert installation.status == InstallationStatus.NEEDS_RELOGIN


async def lock_waiter_seen(database_name: str) -> bool:
    """Whether a session of the database comes to wait on a lock (within 30 s)."""
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database_name}")
    try:
        async with asyncio.timeout(30):
            while True:
                waiting = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = $1 AND wait_event_type = 'Lock'",
                    database_name,
                )
                if waiting:
                    return True
                await asyncio.sleep(0.02)  # polling for the condition, not timing the test
    except TimeoutError:
        return False
    finally:
        await connection.close()


async def test_a_login_waits_while_a_refusal_of_the_stored_tokens_is_written(
    pg_database_url: str,
    pg_sessions: Sessions,
    make_store: MakeStore,
    token_endpoint: TokenEndpoint,
) -> None:
    """The refusal's check that its tokens are still stored holds the credentials' lock until it
    commits: a login storing tokens meanwhile lands after it, never between check and write."""
    installation_id = await create_installation(pg_sessions)
    await make_store(pg_sessions).save_initial(installation_id, token_endpoint.issue())
    async with pg_sessions() as session:
        refused = fingerprint(await session.get(FortnoxCredentials, installation_id))

    async with pg_sessions() as session, session.begin():
        assert await still_stored(session, installation_id, refused)
        login = asyncio.create_task(
            make_store(pg_sessions).save_initial(installation_id, token_endpoint.issue())
        )
        assert await lock_waiter_seen(pg_database_url.rsplit("/", 1)[1])
        assert not login.done()
        await mark_needs_relogin(session, installation_id, RELOGIN_REASON, utcnow())
    await login

    async with pg_sessions() as session:
        assert not await still_stored(session, installation_id, refused)


class TokenServer:
    """A real HTTP token endpoint for other processes; refresh tokens are single use.

    It answers the first refresh only once another database session is seen waiting on a
    lock, which proves the second process was blocked by the first one's refresh.
    """

    def __init__(self, database_name: str) -> None:
        self.database_name = database_name
        self.valid_refresh_tokens = {"refresh-1"}
        self.issued = 1
        self.refresh_calls = 0
        self.saw_a_waiter: bool | None = None
        self._guard = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = parse_qs(self.rfile.read(length).decode())
                status, body = server.refresh(form.get("refresh_token", [""])[0])
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.auth_base_url = f"http://127.0.0.1:{self._http.server_address[1]}/oauth-v1"

    def refresh(self, refresh_token: str) -> tuple[int, dict[str, object]]:
        with self._guard:
            self.refresh_calls += 1
            first = self.refresh_calls == 1
        if first:
            self.saw_a_waiter = asyncio.run(lock_waiter_seen(self.database_name))
        with self._guard:
            if refresh_token not in self.valid_refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            self.valid_refresh_tokens.discard(refresh_token)
            self.issued += 1
            self.valid_refresh_tokens.add(f"refresh-{self.issued}")
            return 200, {
                "access_token": f"access-{self.issued}",
                "refresh_token": f"refresh-{self.issued}",
                "scope": "customer",
                "expires_in": 3600,
                "token_type": "bearer",
            }

    def __enter__(self) -> TokenServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


async def run_worker(database_url: str, installation_id: uuid.UUID, auth_base: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        database_url,
        str(installation_id),
        auth_base,
        "10",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, stderr.decode()
    return json.loads(stdout.decode().strip().splitlines()[-1])


async def test_two_processes_with_an_expired_token_refresh_once(
    pg_database_url: str, pg_sessions: Sessions, secret_box: SecretBox
) -> None:
    installation_id = await create_installation(pg_sessions)
    unused = FortnoxOAuth(client_id="-", client_secret="-", auth_base_url="http://unused")
    expired = TokenSet("access-1", "refresh-1", utcnow() - timedelta(minutes=1), "customer")
    await DbTokenStore(pg_sessions, secret_box, unused).save_initial(installation_id, expired)
    database_name = pg_database_url.rsplit("/", 1)[1]

    with TokenServer(database_name) as server:
        results = await asyncio.gather(
            run_worker(pg_database_url, installation_id, server.auth_base_url),
            run_worker(pg_database_url, installation_id, server.auth_base_url),
        )

    assert server.refresh_calls == 1
    assert server.saw_a_waiter is True
    expected = hashlib.sha256(b"access-2").hexdigest()
    for result in results:
        assert result.get("digests") == [expected] * 10, result
    async with pg_sessions() as session:
        credentials = await session.get(FortnoxCredentials, installation_id)
        installation = await session.get(Installation, installation_id)
    assert credentials is not None and installation is not None
    assert secret_box.decrypt(credentials.refresh_token_enc) == "refresh-2"
    assert installation.status == InstallationStatus.ACTIVE
