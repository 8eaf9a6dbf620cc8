"""The WebSocket consumer against the Fortnox sandbox served over a real socket."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of
from tests.e2e.stream_support import (
    ListRecorder,
    consumer_for,
    running,
    second_installation,
    served,
    wait_for,
)
from ufs_sandboxes.fortnox.events import encode_offset
from upsales_fortnox.intake.fortnox_stream.recording import record_with_intake
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InboundEvent, StreamOffset
from upsales_fortnox.vocabulary import InstallationStatus


async def stored_offsets(harness: SyncHarness) -> dict[str, str]:
    async with harness.services.session_factory() as session:
        return {row.topic: row.offset for row in await session.scalars(select(StreamOffset))}


def customer(number: str) -> dict[str, str]:
    return {"CustomerNumber": number, "Name": f"Kund {number}"}


async def test_events_are_recorded_with_their_offsets_and_a_restart_resumes(
    harness: SyncHarness,
) -> None:
    tenant = harness.tenant_id
    async with served(harness.fortnox.app) as port:
        first = ListRecorder()
        async with running(consumer_for(harness, port, first)) as consumer:
            await wait_for(consumer, lambda c: c.connections == 1)
            assert consumer.followed == {str(tenant): harness.installation_id}
            harness.fortnox.seed(
                tenant,
                customers=[customer("1")],
                articles=[{"ArticleNumber": "A1", "Description": "Artikel"}],
            )
            await wait_for(consumer, lambda c: c.events_recorded == 2)
        assert [(e["topic"], e["entityId"]) for e in first.events] == [
            ("customers", "1"),
            ("articles", "A1"),
        ]
        assert {t.id for t, _ in first.batches} == {harness.installation_id}
        assert await stored_offsets(harness) == {e["topic"]: e["offset"] for e in first.events}

        harness.fortnox.seed(  # while no consumer runs
            tenant, customers=[customer("2"), customer("3")], articles=[]
        )
        harness.fortnox.seed(tenant, articles=[{"ArticleNumber": "A2", "Description": "Två"}])

        second = ListRecorder()
        async with running(consumer_for(harness, port, second)) as consumer:
            await wait_for(consumer, lambda c: c.events_recorded == 3)
            harness.fortnox.seed(tenant, customers=[customer("4")])
            await wait_for(consumer, lambda c: c.events_recorded == 4)
        assert sorted((e["topic"], e["entityId"]) for e in second.events) == [
            ("articles", "A2"),
            ("customers", "2"),
            ("customers", "3"),
            ("customers", "4"),
        ]
        offsets = await stored_offsets(harness)
        assert offsets["customers"] == second.events[-1]["offset"]


async def test_a_lost_connection_is_reopened_and_nothing_is_missed(harness: SyncHarness) -> None:
    tenant = harness.tenant_id
    recorder = ListRecorder()
    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, recorder)
        async with running(consumer):
            await wait_for(consumer, lambda c: c.connections == 1)
            harness.fortnox.seed(tenant, customers=[customer("1")])
            await wait_for(consumer, lambda c: c.events_recorded == 1)
    # The server is gone: the consumer retries with backoff. Changes happen meanwhile.
    harness.fortnox.seed(tenant, customers=[customer("2")])
    async with served(harness.fortnox.app, port), running(consumer):
        await wait_for(consumer, lambda c: c.events_recorded == 2)
        assert consumer.connections >= 2
    assert [e["entityId"] for e in recorder.events] == ["1", "2"]


async def test_a_new_installation_is_followed_after_a_tenant_refresh(
    harness: SyncHarness,
) -> None:
    recorder = ListRecorder()
    other_tenant = harness.fortnox.create_tenant("Andra AB")
    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, recorder)
        async with running(consumer):
            await wait_for(consumer, lambda c: c.connections == 1)
            other_id = await second_installation(harness, other_tenant)
            consumer.refresh_tenants()
            await wait_for(consumer, lambda c: str(other_tenant) in c.followed)
            harness.fortnox.seed(other_tenant, customers=[customer("77")])
            await wait_for(consumer, lambda c: c.events_recorded == 1)
            assert consumer.followed[str(other_tenant)] == other_id

            async with harness.services.session_factory() as session:
                installation = await session.get(Installation, other_id)
                assert installation is not None
                installation.status = InstallationStatus.PAUSED
                await session.commit()
            consumer.refresh_tenants()
            await wait_for(consumer, lambda c: str(other_tenant) not in c.followed)
            harness.fortnox.seed(other_tenant, customers=[customer("78")])
            harness.fortnox.seed(harness.tenant_id, customers=[customer("1")])
            await wait_for(consumer, lambda c: c.events_recorded == 2)
    assert [(t.id, e["entityId"]) for t, events in recorder.batches for e in events] == [
        (other_id, "77"),
        (harness.installation_id, "1"),
    ]


async def test_a_refused_offset_streams_that_topic_from_now(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        session.add(StreamOffset(topic="customers", offset="not-an-offset"))
        await session.commit()
    recorder = ListRecorder()
    async with (
        served(harness.fortnox.app) as port,
        running(consumer_for(harness, port, recorder)) as consumer,
    ):
        await wait_for(consumer, lambda c: c.connections == 1)
        harness.fortnox.seed(harness.tenant_id, customers=[customer("5")])
        await wait_for(consumer, lambda c: c.events_recorded == 1)
    assert (await stored_offsets(harness))["customers"] == recorder.events[0]["offset"]


async def test_a_refused_client_secret_is_retried_not_fatal(harness: SyncHarness) -> None:
    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, ListRecorder(), client_secret="wrong-secret")
        async with running(consumer):
            await wait_for(consumer, lambda c: c.failures >= 2)
        assert consumer.connections == 0


async def inbound_event_count(harness: SyncHarness) -> int:
    async with harness.services.session_factory() as session:
        return len(list(await session.scalars(select(InboundEvent))))


async def test_replayed_and_http_delivered_events_are_recorded_once(
    harness: SyncHarness,
) -> None:
    tenant = harness.tenant_id
    harness.fortnox.seed(tenant, customers=[customer("1"), customer("2")])
    assert await harness.deliver_fortnox_events() == 2  # the HTTP way in, first
    async with harness.services.session_factory() as session:  # replay the topic from its start
        session.add(StreamOffset(topic="customers", offset=encode_offset(0)))
        await session.commit()

    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, record_with_intake)
        async with running(consumer):
            await wait_for(consumer, lambda c: c.events_recorded == 2)
            harness.fortnox.seed(tenant, customers=[customer("3")])
            await wait_for(consumer, lambda c: c.events_recorded == 3)

    assert await inbound_event_count(harness) == 3
    assert len(await jobs_of(harness, "fortnox.customer")) == 3
    await harness.run_jobs()
    names = sorted(c["name"] for c in harness.upsales_entities("accounts"))
    assert [n for n in names if n.startswith("Kund")] == ["Kund 1", "Kund 2", "Kund 3"]


class FlakyTokens:
    """The harness's token store, except that reading a token fails while ``failing``."""

    def __init__(self, harness: SyncHarness) -> None:
        self._store = harness.services.token_store
        self.failing = False

    async def access_token(self, installation_id: uuid.UUID) -> str:
        if self.failing:
            raise FortnoxUnavailable("the token endpoint answered 503")
        return await self._store.access_token(installation_id)


async def test_a_followed_installation_whose_token_cannot_be_read_for_a_while_stays_followed(
    harness: SyncHarness,
) -> None:
    tenant = harness.tenant_id
    recorder = ListRecorder()
    tokens = FlakyTokens(harness)
    async with served(harness.fortnox.app) as port:
        consumer = consumer_for(harness, port, recorder, tokens=tokens)
        async with running(consumer):
            await wait_for(consumer, lambda c: c.connections == 1)
            tokens.failing = True  # a refresh of the token fails for a while
            consumer.refresh_tenants()
            await wait_for(consumer, lambda c: c.tenant_updates == 1)
            harness.fortnox.seed(tenant, customers=[customer("1")])  # meanwhile
            tokens.failing = False
            consumer.refresh_tenants()
            await wait_for(consumer, lambda c: c.tenant_updates == 2)
            harness.fortnox.seed(tenant, customers=[customer("2")])
            await wait_for(consumer, lambda c: "2" in [e["entityId"] for e in recorder.events])
        assert consumer.connections == 1
    assert [e["entityId"] for e in recorder.events] == ["1", "2"]
