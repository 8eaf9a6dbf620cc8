"""A stream event the intake cannot read (skipped, see
:func:`~upsales_fortnox.intake.fortnox_stream.recording.record_with_intake`) must not stop the
stream: its offset, which need not fit where offsets are kept, is not stored, the events around
it are recorded, and the consumer stays connected."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of
from tests.e2e.stream_support import FAST_POLICY, running, wait_for
from tests.e2e.test_inbound_stream import stored_offsets
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer
from upsales_fortnox.intake.fortnox_stream.recording import record_with_intake
from upsales_fortnox.integrations.fortnox.stream import StreamConnection
from upsales_fortnox.models.job import InboundEvent

TOKEN = "stream-test-token"


class FakeTokens:
    async def access_token(self, installation_id: uuid.UUID) -> str:
        return TOKEN


class ScriptedStream:
    """A stream that accepts the commands and then sends ``events``, and stays open."""

    def __init__(self, tenant_id: str, events: list[dict[str, Any]]) -> None:
        self.tenant_id = tenant_id
        self.events = events
        self.outgoing: asyncio.Queue[str] = asyncio.Queue()
        self.connections = 0

    async def send(self, message: str) -> None:
        command = json.loads(message)["command"]
        reply: dict[str, Any] = {"response": command, "result": "ok"}
        if command == "add-tenants-v1":
            reply["tenantIds"] = {f"Bearer {TOKEN}": self.tenant_id}
        if command == "add-topics-v1":
            reply["invalidTopics"] = []
        await self.outgoing.put(json.dumps(reply))
        if command == "subscribe-v1":
            for event in self.events:
                await self.outgoing.put(json.dumps(event))

    async def recv(self) -> str:
        return await self.outgoing.get()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str]:
        while True:
            yield await self.outgoing.get()

    @asynccontextmanager
    async def connect(self, url: str) -> AsyncIterator[StreamConnection]:
        self.connections += 1
        self.outgoing = asyncio.Queue()
        yield self


def _consumer(harness: SyncHarness, stream: ScriptedStream) -> StreamConsumer:
    """A consumer of ``stream`` recording through the event intake, as the service's does."""
    return StreamConsumer(
        url="ws://fortnox.stream/topics-v1",
        client_secret="stream-test-secret",
        session_factory=harness.services.session_factory,
        tokens=FakeTokens(),
        recorder=record_with_intake,
        policy=FAST_POLICY,
        connect=stream.connect,
    )


def _event(offset: Any, entity_id: str, topic: str = "customers") -> dict[str, Any]:
    return {
        "topic": topic,
        "offset": offset,
        "type": "customer-updated-v2",
        "tenantId": 0,
        "entityId": entity_id,
        "timestamp": "2026-11-25T10:00:00+01:00",
    }


async def test_an_unreadable_event_with_an_offset_too_long_to_keep_does_not_stop_the_stream(
    harness: SyncHarness,
) -> None:
    tenant_id = str(harness.tenant_id)
    unreadable = _event("x" * 300, "7")
    unreadable["timestamp"] = "not a time"  # the intake skips it
    stream = ScriptedStream(
        tenant_id,
        [
            {**_event("o-1", "1"), "tenantId": tenant_id},
            {**_event("o-3", "3"), "tenantId": tenant_id},
            {**unreadable, "tenantId": tenant_id},
        ],
    )
    consumer = _consumer(harness, stream)

    async with running(consumer):
        await wait_for(consumer, lambda c: c.events_recorded == 3 or c.failures > 0)
        assert consumer.failures == 0
        assert stream.connections == 1

    async with harness.services.session_factory() as session:
        recorded = sorted(e.entity_id or "" for e in await session.scalars(select(InboundEvent)))
    assert recorded == ["1", "3"]
    assert sorted(job.entity_id for job in await jobs_of(harness, "fortnox.customer")) == [
        "1",
        "3",
    ]
    assert (await stored_offsets(harness))["customers"] == "o-3"


async def test_a_document_event_naming_no_number_is_recorded_without_a_job(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """No job is queued that could only die; it is recorded, with a log line, as are the events
    around it, and the offsets move past it."""
    tenant_id = str(harness.tenant_id)
    stream = ScriptedStream(
        tenant_id,
        [
            {**_event("o-1", "1", "invoices"), "type": "invoice-updated-v1", "tenantId": tenant_id},
            {
                **_event("o-2", "abc", "invoices"),
                "type": "invoice-updated-v1",
                "tenantId": tenant_id,
            },
            {**_event("o-3", "3", "invoices"), "type": "invoice-updated-v1", "tenantId": tenant_id},
        ],
    )
    consumer = _consumer(harness, stream)
    with caplog.at_level(logging.WARNING):
        async with running(consumer):
            await wait_for(consumer, lambda c: c.events_recorded == 3 or c.failures > 0)
            assert consumer.failures == 0
    assert sorted(job.entity_id for job in await jobs_of(harness, "fortnox.invoice")) == ["1", "3"]
    assert (await stored_offsets(harness))["invoices"] == "o-3"
    assert "names its document by no number" in caplog.text


async def test_an_event_with_text_the_database_cannot_store_does_not_stall_the_stream(
    harness: SyncHarness,
) -> None:
    """A NUL or a lone surrogate escape in an event's text (PostgreSQL stores neither) is
    skipped as the event endpoint refuses it, instead of failing its batch at every replay."""
    tenant_id = str(harness.tenant_id)
    stream = ScriptedStream(
        tenant_id,
        [
            {**_event("o-1", "1"), "tenantId": tenant_id},
            {**_event("o-2", "2"), "type": "customer-updated-v9\u0000", "tenantId": tenant_id},
            {**_event("o-3", "3"), "type": "customer-\ud800", "tenantId": tenant_id},
            {**_event("o-4", "4"), "tenantId": tenant_id},
            {**_event("o-5\u0000", "5"), "tenantId": tenant_id},
        ],
    )
    consumer = _consumer(harness, stream)
    async with running(consumer):
        await wait_for(consumer, lambda c: c.events_recorded == 5 or c.failures > 0)
        assert consumer.failures == 0
        assert stream.connections == 1
    async with harness.services.session_factory() as session:
        recorded = sorted(e.entity_id or "" for e in await session.scalars(select(InboundEvent)))
    assert recorded == ["1", "4"]
    assert (await stored_offsets(harness))["customers"] == "o-4"
