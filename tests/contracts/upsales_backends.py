"""The two Upsales backends of the contract scenarios, and what a scenario works with.

The sandbox backend is the in-process Upsales sandbox on virtual time, with one Upsales
customer whose API key the client uses; the fixture backend answers from a hand-written
:class:`~tests.contracts.script.Script`. The client is the production ``UpsalesClient`` with its
``SlidingWindowLimiter`` at Upsales' budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from tests.contracts.recording import Recorded, RecordingTransport
from tests.contracts.script import Reply, Script
from tests.contracts.virtual_time import VirtualTime
from ufs_sandboxes.upsales import (
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
)
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.request_rules import RETRY

ORIGIN = "http://upsales.sandbox"
RATE_LIMIT = 200
RATE_WINDOW_SECONDS = 10.0
"""Upsales' own budget per API key (reference §2), on virtual time."""
API_USER_ID = 1
"""The user an API key writes as: the first user of a new Upsales customer."""


class UpsalesBackend(Protocol):
    name: str
    origin: str
    time: VirtualTime
    log: list[Recorded]
    api_key: str

    def transport(self) -> httpx.AsyncBaseTransport: ...

    def given(self, kind: str, bodies: Iterable[dict[str, Any]]) -> list[int]:
        """Entities that exist before the scenario starts; their ids (1, 2, ... per kind)."""

    def given_budget_used_up(self) -> None:
        """Another process has just spent the API key's whole request budget."""

    def finish(self) -> None: ...


class SandboxUpsales:
    name = "sandbox"
    origin = ORIGIN

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.log: list[Recorded] = []
        self.sandbox: UpsalesSandbox = create_upsales_sandbox(
            UpsalesSandboxConfig(
                rate_limit_requests=RATE_LIMIT,
                rate_limit_window_seconds=RATE_WINDOW_SECONDS,
                clock=time,
                sleep=time.sleep,
            )
        )
        customer = self.sandbox.create_customer("Acme Konsult AB")
        assert customer.user_id == API_USER_ID
        self.customer_id = customer.id
        self.api_key = customer.api_key

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(httpx.ASGITransport(app=self.sandbox.app), self.log)

    def given(self, kind: str, bodies: Iterable[dict[str, Any]]) -> list[int]:
        return [int(i) for i in self.sandbox.seed(self.customer_id, kind, bodies)]

    def given_budget_used_up(self) -> None:
        while self.sandbox.rate_limiter.hit(self.api_key, self.time()).allowed:
            pass

    def finish(self) -> None:
        pass


class FixtureUpsales:
    """Answers from the scenario's hand-written script (see ``upsales_fixtures``)."""

    name = "fixtures"
    origin = ORIGIN
    api_key = "fixture-api-key-0123456789abcdef"

    def __init__(
        self, time: VirtualTime, script: Callable[[FixtureUpsales], Sequence[Reply]]
    ) -> None:
        self.time = time
        self.log: list[Recorded] = []
        self.budget_used_at = float("-inf")
        self._ids: dict[str, int] = {}
        self._script = Script(script(self))

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(self._script.transport(), self.log)

    def given(self, kind: str, bodies: Iterable[dict[str, Any]]) -> list[int]:
        first = self._ids.get(kind, 0) + 1
        count = len(list(bodies))
        self._ids[kind] = first + count - 1
        return list(range(first, first + count))

    def given_budget_used_up(self) -> None:
        self.budget_used_at = self.time()

    def throttled(self) -> bool:
        """Whether the used-up budget's window is still open."""
        return self.time() < self.budget_used_at + RATE_WINDOW_SECONDS

    def finish(self) -> None:
        self._script.assert_done()


@dataclass
class UpsalesContract:
    """What a scenario works with; ``client_with_key`` makes a client with another API key."""

    backend: UpsalesBackend
    client: UpsalesClient
    client_with_key: Callable[[str], UpsalesClient]

    @property
    def time(self) -> VirtualTime:
        return self.backend.time


@asynccontextmanager
async def upsales_contract(backend: UpsalesBackend) -> AsyncIterator[UpsalesContract]:
    time = backend.time
    async with httpx.AsyncClient(transport=backend.transport()) as http:

        def client_with_key(api_key: str) -> UpsalesClient:
            return UpsalesClient(
                http,
                base_url=f"{backend.origin}/api/v2",
                api_token=api_key,
                limiter=SlidingWindowLimiter(
                    RATE_LIMIT, RATE_WINDOW_SECONDS, clock=time, sleep=time.sleep
                ),
                retry=replace(RETRY, sleep=time.sleep, clock=time, jitter=lambda: 0.0),
            )

        yield UpsalesContract(backend, client_with_key(backend.api_key), client_with_key)
