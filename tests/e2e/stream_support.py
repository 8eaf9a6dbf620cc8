"""Serving the Fortnox sandbox over a real socket (the stream consumer needs a WebSocket), and
running a stream consumer against it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.e2e.harness import SyncHarness, log_in_to_fortnox
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer, StreamPolicy
from upsales_fortnox.intake.fortnox_stream.recording import (
    StreamRecorder,
    StreamTenant,
    TokenSource,
)
from upsales_fortnox.integrations.fortnox.stream import Message, StreamConnection
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus

WAIT_SECONDS = 10.0
FAST_POLICY = StreamPolicy(
    backoff_base_seconds=0.01,
    backoff_max_seconds=0.05,
    tenant_refresh_seconds=3600.0,
    reply_timeout_seconds=5.0,
    idle_retry_seconds=0.05,
)


def listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int = 0) -> AsyncIterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1 until the block ends; yields the port.

    The socket listens before the server starts, so clients may connect at once.
    """
    sock = listening_socket(port)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class ListRecorder:
    """A recorder that keeps what it is given (for tests of the stream itself)."""

    batches: list[tuple[StreamTenant, list[Message]]] = field(default_factory=list)

    async def __call__(
        self, session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None:
        self.batches.append((tenant, list(events)))

    @property
    def events(self) -> list[Message]:
        return [event for _, events in self.batches for event in events]


def consumer_for(
    harness: SyncHarness,
    port: int,
    recorder: StreamRecorder,
    *,
    client_secret: str | None = None,
    tokens: TokenSource | None = None,
    **policy: Any,
) -> StreamConsumer:
    settings = harness.services.settings
    return StreamConsumer(
        url=f"ws://127.0.0.1:{port}/topics-v1",
        client_secret=client_secret or settings.fortnox_client_secret.get_secret_value(),
        session_factory=harness.services.session_factory,
        tokens=tokens or harness.services.token_store,
        recorder=recorder,
        policy=StreamPolicy(**{**FAST_POLICY.__dict__, **policy}),
    )


@contextlib.asynccontextmanager
async def running(consumer: StreamConsumer) -> AsyncIterator[StreamConsumer]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield consumer
    finally:
        stop.set()
        async with asyncio.timeout(WAIT_SECONDS):
            await task


async def wait_for(consumer: StreamConsumer, predicate: Callable[[StreamConsumer], bool]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        await consumer.wait_until(predicate)


class QueuedStream:
    """A scripted stream connection: what it sends waits in ``unread`` until the consumer reads
    it. A subclass answers the consumer's commands (``send``)."""

    def __init__(self) -> None:
        self.unread: asyncio.Queue[str] = asyncio.Queue()

    async def send(self, message: str) -> None:
        raise NotImplementedError

    async def recv(self) -> str:
        return await self.unread.get()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str]:
        while True:
            yield await self.unread.get()

    @asynccontextmanager
    async def connect(self, url: str) -> AsyncIterator[StreamConnection]:
        yield self


async def second_installation(harness: SyncHarness, tenant_id: int) -> uuid.UUID:
    """Another active installation, of Fortnox tenant ``tenant_id``, logged in to it."""
    async with harness.services.session_factory() as session:
        installation = Installation(
            name="Andra AB", status=InstallationStatus.ACTIVE, fortnox_tenant_id=str(tenant_id)
        )
        session.add(installation)
        await session.commit()
        installation_id = installation.id
    await log_in_to_fortnox(harness.services, harness.fortnox, installation_id, tenant_id)
    return installation_id
