"""Helpers of the Fortnox tests: virtual time, JWTs, a token endpoint, installations."""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import json
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.integrations.fortnox.oauth import TokenSet
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus

AUTH_BASE = "https://apps.fortnox.test/oauth-v1"
API_BASE = "https://api.fortnox.test/3"
TOKEN_URL = f"{AUTH_BASE}/token"
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
SECRET_KEY = "test-secret-key-0123456789"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_jwt(tenant_id: int | str, *, serial: str = "0") -> str:
    """An unsigned JWT with a ``tenantId`` claim, shaped like Fortnox's access tokens."""

    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'RS256'})}.{segment({'tenantId': tenant_id, 'jti': serial})}.sig"


class SteppingClock:
    """Monotonic seconds that only move when code sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class VirtualTime:
    """Virtual time for many concurrent tasks: time jumps to the next timer when all are idle."""

    SETTLE_ROUNDS = 30

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), next(self._sequence), future))
        await future

    async def run(self, *coroutines: Awaitable[Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while True:
            for _ in range(self.SETTLE_ROUNDS):
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            if not self._timers:
                raise RuntimeError("tasks are blocked and no timer is pending")
            deadline, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, deadline)
            future.set_result(None)


class TokenEndpoint:
    """A respx token endpoint that rotates single-use refresh tokens like Fortnox."""

    def __init__(self, router: respx.MockRouter, *, tenant_id: int = 4242) -> None:
        self.tenant_id = tenant_id
        self.valid_refresh_tokens: set[str] = set()
        self.issued = 0
        self.reject_all = False
        self.route = router.post(TOKEN_URL).mock(side_effect=self._handle)

    def issue(self) -> TokenSet:
        self.issued += 1
        refresh = f"refresh-{self.issued}"
        self.valid_refresh_tokens.add(refresh)
        return TokenSet(
            access_token=make_jwt(self.tenant_id, serial=str(self.issued)),
            refresh_token=refresh,
            expires_at=NOW + timedelta(hours=1),
            scope="customer invoice",
        )

    @property
    def refresh_calls(self) -> int:
        return self.route.call_count

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        # Let every other task run before answering, so concurrent callers really overlap.
        for _ in range(20):
            await asyncio.sleep(0)
        form = dict(httpx.QueryParams(request.content.decode()))
        token = form.get("refresh_token", "")
        if self.reject_all or token not in self.valid_refresh_tokens:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "Invalid refresh token"}
            )
        self.valid_refresh_tokens.discard(token)
        issued = self.issue()
        return httpx.Response(
            200,
            json={
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "scope": issued.scope,
                "expires_in": 3600,
                "token_type": "bearer",
            },
        )


async def create_installation(
    session_factory: async_sessionmaker[AsyncSession], *, tenant_id: str | None = "4242"
) -> uuid.UUID:
    async with session_factory() as session, session.begin():
        installation = Installation(
            name="Acme AB", status=InstallationStatus.ACTIVE, fortnox_tenant_id=tenant_id
        )
        session.add(installation)
    return installation.id


class Clock:
    """A settable wall clock for the token store."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
