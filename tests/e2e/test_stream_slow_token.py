"""One installation whose token read hangs (a refresh Fortnox does not answer) holds up no
other installation's stream: the others are followed and their events recorded meanwhile, and
the slow one is followed once its read is done, with the token it gave."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.stream_support import FAST_POLICY, running, second_installation, wait_for
from tests.e2e.test_stream_backpressure import BurstStream, GatedRecorder
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer


class TokenPerTenantStream(BurstStream):
    """As :class:`BurstStream`, but each token names the tenant of its installation."""

    def __init__(self, tenants: dict[str, str], events: list[dict[str, Any]]) -> None:
        super().__init__("", events)
        self.tenants = tenants  # token → tenant id

    async def send(self, message: str) -> None:
        command = json.loads(message)
        if command["command"] != "add-tenants-v1":
            await super().send(message)
            return
        self.commands.append(command["command"])
        tokens = command["accessTokens"]  # each "Bearer <token>"
        tenant_ids = {token: self.tenants[token.removeprefix("Bearer ")] for token in tokens}
        await self.unread.put(
            json.dumps({"response": command["command"], "result": "ok", "tenantIds": tenant_ids})
        )


class OneSlowToken:
    """Answers every installation's token at once but ``slow``'s, which waits for ``answer``."""

    def __init__(self, slow: uuid.UUID) -> None:
        self.slow = slow
        self.answer = asyncio.Event()
        self.reads: list[uuid.UUID] = []

    async def access_token(self, installation_id: uuid.UUID) -> str:
        self.reads.append(installation_id)
        if installation_id == self.slow:
            await self.answer.wait()
        return token_of(installation_id)


def token_of(installation_id: uuid.UUID) -> str:
    return f"stream-token-{installation_id}"


async def test_a_token_read_that_hangs_holds_up_no_other_installation(
    harness: SyncHarness,
) -> None:
    other_tenant = harness.fortnox.create_tenant("Långsam Inloggning AB")
    slow = await second_installation(harness, other_tenant)
    event = {
        "topic": "invoices",
        "offset": "o-00001",
        "type": "invoice-updated-v1",
        "tenantId": str(harness.tenant_id),
        "entityId": "1",
        "timestamp": "2026-11-25T10:00:00+01:00",
    }
    stream = TokenPerTenantStream(
        {
            token_of(harness.installation_id): str(harness.tenant_id),
            token_of(slow): str(other_tenant),
        },
        [event],
    )
    recorder = GatedRecorder()
    recorder.gate.set()
    tokens = OneSlowToken(slow)
    consumer = StreamConsumer(
        url="ws://fortnox.stream/topics-v1",
        client_secret="stream-test-secret",
        session_factory=harness.services.session_factory,
        tokens=tokens,
        recorder=recorder,
        policy=replace(FAST_POLICY, token_wait_seconds=0.05),
        connect=stream.connect,
    )
    async with running(consumer):
        await wait_for(consumer, lambda c: c.events_recorded == 1 or c.failures > 0)
        assert consumer.failures == 0
        assert recorder.offsets == ["o-00001"]  # recorded while the other read still hangs
        assert not tokens.answer.is_set()

        tokens.answer.set()  # Fortnox answers the refresh at last
        consumer.refresh_tenants()
        await wait_for(consumer, lambda c: c.tenant_updates == 1 or c.failures > 0)
        assert consumer.failures == 0
    assert tokens.reads.count(slow) == 1  # the hanging read was waited for, not started again
    assert set(consumer.followed.values()) == {harness.installation_id, slow}
