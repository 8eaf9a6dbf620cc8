"""A burst on the Fortnox stream (a replay of two weeks, thousands of events of one tenant) is
read only as fast as it is recorded: the consumer holds a bounded number of events in memory,
the rest waits in the connection; a command's reply that arrives behind a full buffer is still
read (the events before it are recorded meanwhile), and every event is recorded once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.e2e.harness import SyncHarness
from tests.e2e.stream_support import FAST_POLICY, QueuedStream, running, wait_for
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer, StreamPolicy
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant
from upsales_fortnox.integrations.fortnox.stream import Message

BURST = 3000
BUFFERED = 100


class RotatingTokens:
    """The installation's token; ``rotate()`` makes the next read a new one."""

    def __init__(self) -> None:
        self.token = "stream-token-1"

    def rotate(self) -> None:
        self.token = "stream-token-2"

    async def access_token(self, installation_id: uuid.UUID) -> str:
        return self.token


class BurstStream(QueuedStream):
    """Accepts every command (any token names ``tenant_id``), sends ``events`` on subscribe,
    and keeps what the consumer has not read yet in ``unread``."""

    def __init__(
        self, tenant_id: str, events: list[dict[str, Any]], *, events_first: bool = False
    ) -> None:
        self.tenant_id = tenant_id
        self.events = events
        self.events_first = events_first
        """The events come before the reply to ``subscribe-v1`` (an order no source settles)."""
        super().__init__()
        self.commands: list[str] = []

    async def send(self, message: str) -> None:
        command = json.loads(message)
        self.commands.append(command["command"])
        reply: dict[str, Any] = {"response": command["command"], "result": "ok"}
        if command["command"] == "add-tenants-v1":
            reply["tenantIds"] = {token: self.tenant_id for token in command["accessTokens"]}
        if command["command"] == "add-topics-v1":
            reply["invalidTopics"] = []
        subscribing = command["command"] == "subscribe-v1"
        if not (subscribing and self.events_first):
            await self.unread.put(json.dumps(reply))
        if subscribing:
            for event in self.events:
                await self.unread.put(json.dumps(event))
            if self.events_first:
                await self.unread.put(json.dumps(reply))


class GatedRecorder:
    """Keeps the offsets it is given; holds each batch until ``gate`` is open."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.holding = asyncio.Event()
        self.offsets: list[str] = []

    async def __call__(
        self, session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None:
        self.holding.set()
        await self.gate.wait()
        self.offsets.extend(str(event["offset"]) for event in events)


def _burst(tenant_id: str) -> list[dict[str, Any]]:
    return [
        {
            "topic": "invoices",
            "offset": f"o-{number:05d}",
            "type": "invoice-updated-v1",
            "tenantId": tenant_id,
            "entityId": str(number % 7 + 1),
            "timestamp": "2026-11-25T10:00:00+01:00",
        }
        for number in range(BURST)
    ]


def _consumer(harness: SyncHarness, stream: BurstStream, recorder: GatedRecorder, tokens: Any):
    policy = StreamPolicy(**{**FAST_POLICY.__dict__, "max_batch": 50, "max_buffered": BUFFERED})
    return StreamConsumer(
        url="ws://fortnox.stream/topics-v1",
        client_secret="stream-test-secret",
        session_factory=harness.services.session_factory,
        tokens=tokens,
        recorder=recorder,
        policy=policy,
        connect=stream.connect,
    )


async def _let_others_run() -> None:
    for _ in range(200):
        await asyncio.sleep(0)


async def test_a_burst_is_read_only_as_fast_as_it_is_recorded(harness: SyncHarness) -> None:
    stream = BurstStream(str(harness.tenant_id), _burst(str(harness.tenant_id)))
    recorder = GatedRecorder()
    consumer = _consumer(harness, stream, recorder, RotatingTokens())
    async with running(consumer):
        async with asyncio.timeout(10):
            await recorder.holding.wait()
        await _let_others_run()
        read = BURST - stream.unread.qsize()
        assert read <= BUFFERED + 50 + 2, read
        recorder.gate.set()
        await wait_for(consumer, lambda c: c.events_recorded == BURST or c.failures > 0)
        assert consumer.failures == 0
    assert recorder.offsets == [event["offset"] for event in _burst(str(harness.tenant_id))]


async def test_a_reply_behind_a_full_buffer_is_read_while_the_events_are_recorded(
    harness: SyncHarness,
) -> None:
    stream = BurstStream(str(harness.tenant_id), _burst(str(harness.tenant_id)))
    recorder = GatedRecorder()
    tokens = RotatingTokens()
    consumer = _consumer(harness, stream, recorder, tokens)
    async with running(consumer):
        async with asyncio.timeout(10):
            await recorder.holding.wait()
        tokens.rotate()
        consumer.refresh_tenants()
        await _let_others_run()
        recorder.gate.set()
        await wait_for(
            consumer,
            lambda c: (c.tenant_updates == 1 and c.events_recorded == BURST) or c.failures > 0,
        )
        assert consumer.failures == 0
    assert stream.commands.count("add-tenants-v1") == 2
    assert recorder.offsets == [event["offset"] for event in _burst(str(harness.tenant_id))]


async def test_a_subscribe_reply_behind_a_full_buffer_is_read_while_the_events_are_recorded(
    harness: SyncHarness,
) -> None:
    """Should Fortnox stream the replay before its reply to ``subscribe-v1``, the consumer still
    reads that reply (recording the events ahead of it) rather than time out and reconnect for
    ever."""
    events = _burst(str(harness.tenant_id))
    stream = BurstStream(str(harness.tenant_id), events, events_first=True)
    recorder = GatedRecorder()
    recorder.gate.set()
    consumer = _consumer(harness, stream, recorder, RotatingTokens())
    async with running(consumer):
        await wait_for(consumer, lambda c: c.events_recorded == BURST or c.failures > 0)
        assert consumer.failures == 0
    assert stream.commands.count("subscribe-v1") == 1
    assert recorder.offsets == [event["offset"] for event in events]
