"""The two Fortnox backends of the contract scenarios, and what a scenario works with.

Both serve the same base URLs. The sandbox backend is the in-process sandbox on virtual time;
the fixture backend answers from a hand-written :class:`~tests.contracts.script.Script`.
Either way the client is the production one: ``FortnoxClient`` with a
``SlidingWindowLimiter`` at Fortnox's budget, ``DbTokenStore`` (on SQLite) and
``FortnoxOAuth``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.contracts.recording import Recorded, RecordingTransport
from tests.contracts.script import Reply, Script
from tests.contracts.virtual_time import VirtualTime
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    create_fortnox_sandbox,
)
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth, TokenSet
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus

ORIGIN = "http://fortnox.sandbox"
API_BASE = f"{ORIGIN}/3"
CLIENT_ID = "contract-client-id"
CLIENT_SECRET = "contract-client-secret"
BUDGET = RateLimit(requests=25, window_seconds=5.0)
"""Fortnox's own budget (reference §4), on virtual time."""
WALL_CLOCK = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
"""The token store's clock. It stays put, so the store believes its access token fresh and
only Fortnox's answer can tell it otherwise."""
SECRET_KEY = "contract-secret-key-0123456789abcdef"


class FortnoxBackend(Protocol):
    name: str
    origin: str
    time: VirtualTime
    log: list[Recorded]

    def transport(self) -> httpx.AsyncBaseTransport: ...

    def first_tokens(self) -> TokenSet: ...

    def given_customers(self, customers: Iterable[dict[str, Any]]) -> None:
        """Customers that exist before the scenario starts (created at the current time)."""

    def given(self, **collections: Iterable[dict[str, Any]]) -> None:
        """Entities that exist before the scenario starts, per collection (``articles``,
        ``pricelists``, ``prices``, ``offers``...), with Fortnox field names."""

    def given_budget_used_up(self) -> None:
        """Another process of ours has just spent the tenant's whole request budget."""

    def finish(self) -> None: ...


class SandboxFortnox:
    name = "sandbox"
    origin = ORIGIN

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.log: list[Recorded] = []
        self.sandbox: FortnoxSandbox = create_fortnox_sandbox(
            FortnoxSandboxConfig(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                clock=time,
                sleep=time.sleep,
                rate_limit=BUDGET,
            )
        )
        tenant_id = self.sandbox.default_tenant_id
        assert tenant_id is not None
        self.tenant_id = tenant_id

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(httpx.ASGITransport(app=self.sandbox.app), self.log)

    def first_tokens(self) -> TokenSet:
        pair = self.sandbox.issue_tokens(self.tenant_id)
        return TokenSet(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_at=WALL_CLOCK + timedelta(seconds=pair.expires_in),
            scope=pair.scope,
        )

    def given_customers(self, customers: Iterable[dict[str, Any]]) -> None:
        self.sandbox.seed(self.tenant_id, customers=customers)

    def given(self, **collections: Iterable[dict[str, Any]]) -> None:
        self.sandbox.seed(self.tenant_id, **collections)

    def given_budget_used_up(self) -> None:
        key = (self.tenant_id, CLIENT_ID)
        while self.sandbox.rate_limiter.try_acquire(key, self.time()):
            pass

    def finish(self) -> None:
        pass


class FixtureFortnox:
    """Answers from the scenario's hand-written script (see ``fortnox_fixtures``)."""

    name = "fixtures"
    origin = ORIGIN
    ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZW5hbnRJZCI6MTAwMDAxfQ.fixture-signature-1"
    REFRESH_TOKEN = "fixture-refresh-token-1"

    def __init__(
        self, time: VirtualTime, script: Callable[[FixtureFortnox], Sequence[Reply]]
    ) -> None:
        self.time = time
        self.log: list[Recorded] = []
        self.budget_used_at = float("-inf")
        self._script = Script(script(self))

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(self._script.transport(), self.log)

    def first_tokens(self) -> TokenSet:
        return TokenSet(
            access_token=self.ACCESS_TOKEN,
            refresh_token=self.REFRESH_TOKEN,
            expires_at=WALL_CLOCK + timedelta(hours=1),
            scope="article companyinformation customer invoice offer order price",
        )

    def given_customers(self, customers: Iterable[dict[str, Any]]) -> None:
        pass  # the script's list pages hold them

    def given(self, **collections: Iterable[dict[str, Any]]) -> None:
        pass  # the script's answers hold them

    def given_budget_used_up(self) -> None:
        self.budget_used_at = self.time()

    def throttled(self) -> bool:
        """Whether the used-up budget still fills Fortnox's sliding window."""
        return self.time() < self.budget_used_at + BUDGET.window_seconds

    def finish(self) -> None:
        self._script.assert_done()


@dataclass
class FortnoxContract:
    """What a scenario works with."""

    backend: FortnoxBackend
    client: FortnoxClient
    oauth: FortnoxOAuth
    token_store: DbTokenStore
    installation_id: uuid.UUID
    first_tokens: TokenSet
    sessions: async_sessionmaker[AsyncSession]
    time: VirtualTime = field(init=False)

    def __post_init__(self) -> None:
        self.time = self.backend.time

    async def installation_status(self) -> str:
        async with self.sessions() as session:
            installation = await session.get(Installation, self.installation_id)
            assert installation is not None
            return installation.status


@asynccontextmanager
async def fortnox_contract(
    backend: FortnoxBackend, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FortnoxContract]:
    time = backend.time
    oauth = FortnoxOAuth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_base_url=f"{backend.origin}/oauth-v1",
        clock=lambda: WALL_CLOCK,
        transport=backend.transport(),
    )
    store = DbTokenStore(sessions, SecretBox(SECRET_KEY), oauth, clock=lambda: WALL_CLOCK)
    async with sessions() as session, session.begin():
        installation = Installation(name="Acme AB", status=InstallationStatus.ACTIVE)
        session.add(installation)
    first_tokens = backend.first_tokens()
    await store.save_initial(installation.id, first_tokens)
    limiter = SlidingWindowLimiter(
        BUDGET.requests, BUDGET.window_seconds, clock=time, sleep=time.sleep, jitter=lambda: 0.5
    )
    retry = RetryPolicy(clock=time, sleep=time.sleep, jitter=lambda: 0.5)
    async with httpx.AsyncClient(transport=backend.transport()) as http:
        yield FortnoxContract(
            backend=backend,
            client=FortnoxClient(
                http,
                base_url=f"{backend.origin}/3",
                tenant_key="tenant:contract",
                access_token=partial(store.access_token, installation.id),
                refresh_token=partial(store.refresh_after_rejection, installation.id),
                limiter=limiter,
                retry=retry,
            ),
            oauth=oauth,
            token_store=store,
            installation_id=installation.id,
            first_tokens=first_tokens,
            sessions=sessions,
        )
