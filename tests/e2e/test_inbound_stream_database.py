"""The database refusing the stream consumer's recording of a batch (down, locked, a connection
dropped as it commits): nothing of the batch is kept, not its offsets either, so the consumer
reconnects from the offsets stored and the events come again; each is recorded once, with one
job."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of
from tests.e2e.stream_support import consumer_for, running, served, wait_for
from tests.e2e.test_inbound_stream import customer, inbound_event_count, stored_offsets
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant, record_with_intake
from upsales_fortnox.integrations.fortnox.stream import Message


class RefusedOnce:
    """The intake's recorder, except that the database refuses the ``refuse_at``-th batch after
    the events were written in its transaction."""

    def __init__(self, refuse_at: int) -> None:
        self.refuse_at = refuse_at
        self.calls = 0

    async def __call__(
        self, session: DbSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None:
        self.calls += 1
        await record_with_intake(session, tenant, events)
        if self.calls == self.refuse_at:
            raise OperationalError("COMMIT", None, Exception("database is locked"))


async def test_a_batch_the_database_refused_comes_again_and_is_recorded_once(
    harness: SyncHarness,
) -> None:
    tenant = harness.tenant_id
    recorder = RefusedOnce(refuse_at=2)
    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, recorder)
        async with running(consumer):
            await wait_for(consumer, lambda c: c.connections == 1)
            harness.fortnox.seed(tenant, customers=[customer("1")])
            await wait_for(consumer, lambda c: c.events_recorded == 1)
            first_offset = (await stored_offsets(harness))["customers"]
            harness.fortnox.seed(tenant, customers=[customer("2")])
            await wait_for(consumer, lambda c: c.failures == 1)
            assert (await stored_offsets(harness))["customers"] == first_offset
            await wait_for(consumer, lambda c: c.events_recorded == 2)
            assert consumer.connections >= 2

    assert await inbound_event_count(harness) == 2
    assert sorted(job.entity_id for job in await jobs_of(harness, "fortnox.customer")) == [
        "1",
        "2",
    ]
