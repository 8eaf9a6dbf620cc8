"""Events of an installation the stream starts following, which Fortnox sends before its reply
to the tenant update that adds it, are recorded once that reply names their tenant, not
skipped as an unknown tenant's (their offset saved past them, they would be lost)."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.stream_support import FAST_POLICY, QueuedStream, running, wait_for
from tests.e2e.test_stream_backpressure import GatedRecorder, RotatingTokens
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer


class LateReplyStream(QueuedStream):
    """Refuses the first token; adds the next one, sending ``event`` before that reply."""

    def __init__(self, tenant_id: str, event: dict[str, Any]) -> None:
        self.tenant_id = tenant_id
        self.event = event
        super().__init__()

    async def send(self, message: str) -> None:
        command = json.loads(message)
        reply: dict[str, Any] = {"response": command["command"], "result": "ok"}
        if command["command"] == "add-tenants-v1":
            tokens = command["accessTokens"]
            if tokens == ["Bearer stream-token-1"]:
                reply.update(tenantIds={}, invalidTokens=tokens)
            else:
                reply["tenantIds"] = {token: self.tenant_id for token in tokens}
                await self.unread.put(json.dumps(self.event))  # the tenant's first change
        if command["command"] == "add-topics-v1":
            reply["invalidTopics"] = []
        await self.unread.put(json.dumps(reply))


async def test_an_added_tenants_event_ahead_of_the_reply_is_recorded(
    harness: SyncHarness,
) -> None:
    tenant_id = str(harness.tenant_id)
    event = {
        "topic": "invoices",
        "offset": "o-00001",
        "type": "invoice-updated-v1",
        "tenantId": tenant_id,
        "entityId": "1",
        "timestamp": "2026-11-25T10:00:00+01:00",
    }
    stream = LateReplyStream(tenant_id, event)
    recorder = GatedRecorder()
    recorder.gate.set()
    tokens = RotatingTokens()
    consumer = StreamConsumer(
        url="ws://fortnox.stream/topics-v1",
        client_secret="stream-test-secret",
        session_factory=harness.services.session_factory,
        tokens=tokens,
        recorder=recorder,
        policy=FAST_POLICY,
        connect=stream.connect,
    )
    async with running(consumer):
        await wait_for(consumer, lambda c: c.connections == 1 or c.failures > 0)
        tokens.rotate()
        consumer.refresh_tenants()
        await wait_for(consumer, lambda c: c.tenant_updates == 1 or c.failures > 0)
        assert consumer.failures == 0
        assert consumer.followed == {tenant_id: harness.installation_id}
    assert recorder.offsets == ["o-00001"]
