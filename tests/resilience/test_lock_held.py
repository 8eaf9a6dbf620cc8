"""A transaction elsewhere holds rows the webhook intake needs and does not end (another process
stuck inside its transaction, say): the hook that needs them is answered 503
``database_unavailable`` and leaves no row, and the intake goes on taking every other hook
meanwhile instead of all of them waiting behind the one that cannot be written.

PostgreSQL only: SQLite has one write lock for the whole database, so there a transaction that
does not end holds up every write whatever the intake does (its hooks are 503 too).
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ADMIN_TOKEN, BACKENDS, SECRET_KEY
from tests.database import until_a_session_waits_for_a_lock
from tests.intake.support import all_events, count_rows, create_installation, order_hook
from upsales_fortnox.core.config import Settings
from upsales_fortnox.intake.deliveries import EventsOf, upsales_new_event
from upsales_fortnox.intake.parse import UpsalesChange, parse_upsales_app_hook
from upsales_fortnox.intake.repository.group_commit import MIN_LOCK_WAIT_SECONDS, IntakeWriter
from upsales_fortnox.intake.repository.record import record_events
from upsales_fortnox.main import create_app
from upsales_fortnox.services import Services, build_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off"),
]

WAIT_SECONDS = 4.0
"""``WEBHOOK_DATABASE_WAIT_SECONDS`` of the test: how long a hook may wait before its 503."""


@pytest.fixture
def pg_services(pg_engine: AsyncEngine, postgres_schema_url: str) -> Services:
    settings = Settings(
        database_url=postgres_schema_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr(SECRET_KEY),
        webhook_database_wait_seconds=WAIT_SECONDS,
    )
    return build_services(settings, engine=pg_engine)


@pytest.mark.parametrize(
    "their_event", ["after_order_update", "after_order_insert"], ids=["same-event", "same-order"]
)
async def test_a_hook_whose_rows_another_transaction_holds_fails_alone(
    pg_engine: AsyncEngine, pg_services: Services, their_event: str
) -> None:
    installation = await create_installation(pg_services.session_factory, pg_services.secret_box)
    url = f"/webhooks/upsales/{installation.id}"
    theirs = parse_upsales_app_hook(order_hook(7, event=their_event))
    assert isinstance(theirs, UpsalesChange)
    transport = httpx.ASGITransport(app=create_app(services=pg_services))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://service.test") as client,
        pg_engine.connect() as their_connection,
    ):
        their_transaction = await their_connection.begin()
        # their event of order 7 (the same event as ours, or another of the same order) and its
        # queued job, written and never committed
        their_delivery = EventsOf(installation.id, [upsales_new_event(theirs)])
        await record_events(their_connection, [their_delivery])
        held = asyncio.create_task(client.post(url, json=order_hook(7)))
        await until_a_session_waits_for_a_lock(pg_engine)

        other = await client.post(url, json=order_hook(8))

        refused = await held
        await their_transaction.rollback()
    assert other.status_code == 202, other.text
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "database_unavailable"
    assert int(refused.headers["Retry-After"]) > 0
    assert [event.entity_id for event in await all_events(pg_services.session_factory)] == ["8"]
    assert await count_rows(pg_services.session_factory) == (1, 1)


def _order_delivery(installation_id: uuid.UUID, order_id: int, change: int) -> EventsOf:
    parsed = parse_upsales_app_hook(order_hook(order_id, change=change))
    assert isinstance(parsed, UpsalesChange)
    return EventsOf(installation_id, [upsales_new_event(parsed)])


async def test_a_hook_refused_while_its_batch_waits_for_locks_is_never_written_after(
    pg_engine: AsyncEngine, pg_services: Services
) -> None:
    """Hooks of a held order in one batch each wait for the lock alone, at least the minimum,
    until the callers of the batch have stopped waiting: those refused are not written once
    the lock is free."""
    installation = await create_installation(pg_services.session_factory, pg_services.secret_box)
    writer = IntakeWriter(pg_engine, wait_seconds=WAIT_SECONDS)
    # more lock waits alone than the callers wait, whatever the rest takes
    held_changes = int(WAIT_SECONDS / MIN_LOCK_WAIT_SECONDS) + 1
    async with pg_engine.connect() as their_connection:
        their_transaction = await their_connection.begin()
        await record_events(their_connection, [_order_delivery(installation.id, 7, 0)])
        first = asyncio.create_task(writer.record(_order_delivery(installation.id, 7, 1)))
        await until_a_session_waits_for_a_lock(pg_engine)
        # one batch behind the first: changes of the held order, then order 8
        behind = [
            asyncio.create_task(writer.record(_order_delivery(installation.id, order, change)))
            for order, change in [*((7, 2 + n) for n in range(held_changes)), (8, 1)]
        ]
        outcomes = await asyncio.gather(first, *behind, return_exceptions=True)
        await their_transaction.rollback()
    # every caller was refused: the first on its lock, those behind it when their wait ran out
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    # the next delivery runs once the batch before it has ended
    (after,) = await writer.record(_order_delivery(installation.id, 9, 1))
    assert after.status == "accepted"
    stored = [event.entity_id for event in await all_events(pg_services.session_factory)]
    assert stored == ["9"]
    assert await count_rows(pg_services.session_factory) == (1, 1)


async def test_a_hook_in_a_batch_with_several_whose_rows_are_held_is_taken(
    pg_engine: AsyncEngine, pg_services: Services
) -> None:
    """Hooks of a held order in one batch with another's: the batch's lock waits together take
    at most a share of the wait, so the other hook is taken, not refused behind them."""
    installation = await create_installation(pg_services.session_factory, pg_services.secret_box)
    writer = IntakeWriter(pg_engine, wait_seconds=WAIT_SECONDS)
    async with pg_engine.connect() as their_connection:
        their_transaction = await their_connection.begin()
        await record_events(their_connection, [_order_delivery(installation.id, 7, 0)])
        first = asyncio.create_task(writer.record(_order_delivery(installation.id, 7, 1)))
        await until_a_session_waits_for_a_lock(pg_engine)
        behind = [
            asyncio.create_task(writer.record(_order_delivery(installation.id, order, change)))
            for order, change in [(7, 2), (7, 3), (7, 4), (8, 1)]
        ]
        outcomes = await asyncio.gather(first, *behind, return_exceptions=True)
        await their_transaction.rollback()
    assert all(isinstance(outcome, Exception) for outcome in outcomes[:4]), outcomes
    taken = outcomes[4]
    assert not isinstance(taken, BaseException), taken
    assert [result.status for result in taken] == ["accepted"]
    stored = [event.entity_id for event in await all_events(pg_services.session_factory)]
    assert stored == ["8"]
