"""The stream consumer behind a transaction that holds a row its batch needs (a worker's, or
one that never ends): on PostgreSQL it waits at most ``StreamPolicy.lock_wait_seconds``, then
gives the batch up (its offsets unsaved) and reconnects, instead of stalling the one stream
every installation shares as long as that transaction lasts; once the row is free the batch is
recorded."""

from __future__ import annotations

import dataclasses
import logging

import asyncpg
import pytest
from sqlalchemy import select

from tests.conftest import BACKENDS
from tests.e2e.harness import SyncHarness
from tests.e2e.stream_support import FAST_POLICY, running, wait_for
from tests.e2e.test_inbound_stream import stored_offsets
from tests.e2e.test_stream_unreadable_event import FakeTokens, ScriptedStream, _event
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer
from upsales_fortnox.intake.fortnox_stream.recording import record_with_intake
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.models.job import InboundEvent


@pytest.mark.postgres  # SQLite has no row locks (its writers wait busy_timeout at most)
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_held_job_row_fails_the_batch_and_it_is_recorded_once_free(
    harness: SyncHarness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness.services.session_factory() as session:
        queued = await enqueue(
            session, installation_id=harness.installation_id, kind="fortnox.customer", entity_id="1"
        )
        await session.commit()
    holder = await asyncpg.connect(database_url)
    transaction = holder.transaction()
    await transaction.start()
    await holder.fetch("SELECT id FROM sync_jobs WHERE id = $1 FOR UPDATE", queued.job_id)
    tenant_id = str(harness.tenant_id)
    stream = ScriptedStream(tenant_id, [{**_event("o-1", "1"), "tenantId": tenant_id}])
    consumer = StreamConsumer(
        url="ws://fortnox.stream/topics-v1",
        client_secret="stream-test-secret",
        session_factory=harness.services.session_factory,
        tokens=FakeTokens(),
        recorder=record_with_intake,
        policy=dataclasses.replace(FAST_POLICY, lock_wait_seconds=0.05),
        connect=stream.connect,
    )
    try:
        with caplog.at_level(logging.WARNING):
            async with running(consumer):
                await wait_for(consumer, lambda c: c.failures >= 2)
                assert consumer.events_recorded == 0
                assert "stream_lock_timeout" in caplog.text
                await transaction.rollback()
                await wait_for(consumer, lambda c: c.events_recorded == 1)
    finally:
        await holder.close()  # ends its transaction, if the test failed while it held the row
    async with harness.services.session_factory() as session:
        recorded = [e.entity_id for e in await session.scalars(select(InboundEvent))]
    assert recorded == ["1"]
    assert (await stored_offsets(harness))["customers"] == "o-1"
