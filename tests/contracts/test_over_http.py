"""Both clients against their sandbox served by uvicorn on a free local port (real HTTP).

The servers run in the test's event loop, so the sandboxes still read the virtual clock;
what changes from the in-process runs is the transport: TCP, HTTP/1.1 parsing, real headers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.contracts.fortnox_backends import SandboxFortnox, fortnox_contract
from tests.contracts.fortnox_scenarios import Scenario as FortnoxScenario
from tests.contracts.fortnox_scenarios import (
    customer_create_get_update,
    expired_access_token_is_refreshed,
)
from tests.contracts.recording import RecordingTransport
from tests.contracts.upsales_backends import SandboxUpsales, upsales_contract
from tests.contracts.upsales_scenarios import Scenario as UpsalesScenario
from tests.contracts.upsales_scenarios import (
    order_value_is_decimal_exact,
    rate_limited_until_the_reset,
)
from tests.contracts.virtual_time import VirtualTime
from ufs_sandboxes.fortnox import build_fortnox_sandbox_server
from ufs_sandboxes.upsales import serve_upsales_sandbox

HOST = "127.0.0.1"
STARTUP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def by_name(scenario: Callable[..., object]) -> str:
    return getattr(scenario, "__name__", "scenario")


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that sets ``started`` once its socket accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.accepting = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.accepting.set()


class FortnoxOverHttp(SandboxFortnox):
    def __init__(self, time: VirtualTime, port: int) -> None:
        super().__init__(time)
        self.origin = f"http://{HOST}:{port}"

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(httpx.AsyncHTTPTransport(), self.log)


class UpsalesOverHttp(SandboxUpsales):
    def __init__(self, time: VirtualTime, port: int) -> None:
        super().__init__(time)
        self.origin = f"http://{HOST}:{port}"

    def transport(self) -> httpx.AsyncBaseTransport:
        return RecordingTransport(httpx.AsyncHTTPTransport(), self.log)


@asynccontextmanager
async def fortnox_served() -> AsyncIterator[FortnoxOverHttp]:
    port = free_port()
    backend = FortnoxOverHttp(VirtualTime(), port)
    built = build_fortnox_sandbox_server(backend.sandbox, HOST, port, log_level="warning")
    server = AnnouncingServer(built.config)
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_SECONDS):
            await server.accepting.wait()
        yield backend
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def upsales_served() -> AsyncIterator[UpsalesOverHttp]:
    port = free_port()
    backend = UpsalesOverHttp(VirtualTime(), port)
    started = asyncio.Event()
    serving = asyncio.create_task(
        serve_upsales_sandbox(backend.sandbox, HOST, port, started=started)
    )
    try:
        async with asyncio.timeout(STARTUP_SECONDS):
            await started.wait()
        yield backend
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)


@pytest.mark.parametrize(
    "scenario", [customer_create_get_update, expired_access_token_is_refreshed], ids=by_name
)
async def test_fortnox_client_over_http(
    scenario: FortnoxScenario, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with fortnox_served() as backend, fortnox_contract(backend, sessions) as api:
        await scenario(api)

    assert backend.log and all(entry.content_type == "application/json" for entry in backend.log)


@pytest.mark.parametrize(
    "scenario", [order_value_is_decimal_exact, rate_limited_until_the_reset], ids=by_name
)
async def test_upsales_client_over_http(scenario: UpsalesScenario) -> None:
    async with upsales_served() as backend, upsales_contract(backend) as api:
        await scenario(api)

    assert backend.log and all(entry.content_type == "application/json" for entry in backend.log)
