"""A pooled PostgreSQL connection that goes silent: a firewall or NAT that dropped it while idle
answers nothing, neither data nor a reset, so a statement sent on it waits until the system's
TCP gives up (a quarter of an hour). The webhook intake gives such a connection up after
``WEBHOOK_DATABASE_WAIT_SECONDS`` (its hook is answered 503 ``database_unavailable``) and does
not use it again: the next hooks are taken on a new connection.

The connections go through a relay of the test's own, which goes silent on those open when told
(new ones pass). PostgreSQL only: SQLite has no connection to lose.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ADMIN_TOKEN, BACKENDS, SECRET_KEY
from tests.database import truncate_all
from tests.intake.support import count_rows, create_installation, fortnox_event, order_hook
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.intake.deliveries import EventsOf, NewEvent, fortnox_new_events
from upsales_fortnox.intake.parse import parse_fortnox_events
from upsales_fortnox.intake.repository.group_commit import IntakeWriter
from upsales_fortnox.main import create_app
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import build_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off"),
]

WAIT_SECONDS = 1.0


class SilencingRelay:
    """Relays TCP connections to the database; :meth:`silence` makes those open now pass
    nothing more, either way, without closing them."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._opened = 0
        self._silenced_below = 0
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._never = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def silence(self) -> None:
        self._silenced_below = self._opened

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self._opened
        self._opened += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers += [writer, upstream_writer]
        for source, target in ((reader, upstream_writer), (upstream_reader, writer)):
            pump = asyncio.create_task(self._pump(number, source, target))
            self._pumps.add(pump)

    async def _pump(
        self, number: int, source: asyncio.StreamReader, target: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65_536):
                if number < self._silenced_below:
                    await self._never.wait()
                target.write(data)
                await target.drain()
        target.close()


@pytest.fixture
async def relayed(postgres_schema_url: str) -> AsyncIterator[tuple[SilencingRelay, AsyncEngine]]:
    url = make_url(postgres_schema_url)
    relay = SilencingRelay(url.host or "127.0.0.1", url.port or 5432)
    port = await relay.start()
    engine = create_engine(url.set(port=port).render_as_string(hide_password=False), pool_size=1)
    await truncate_all(engine)
    try:
        yield relay, engine
    finally:
        await relay.close()  # first: closing a silent connection would wait on it
        await engine.dispose()


async def test_a_hook_on_a_silent_connection_is_refused_and_the_next_taken(
    relayed: tuple[SilencingRelay, AsyncEngine], postgres_schema_url: str
) -> None:
    relay, engine = relayed
    settings = Settings(
        database_url=postgres_schema_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr(SECRET_KEY),
        webhook_database_wait_seconds=WAIT_SECONDS,
    )
    services = build_services(settings, engine=engine)
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/upsales/{installation.id}"
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        assert (await client.post(url, json=order_hook(1))).status_code == 202
        relay.silence()
        refused = await client.post(url, json=order_hook(2))
        taken = await client.post(url, json=order_hook(3))
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "database_unavailable"
    assert taken.status_code == 202, taken.text
    assert await count_rows(services.session_factory) == (2, 2)


def _fortnox_events(installation_id: uuid.UUID, *types: str) -> list[NewEvent | None]:
    class _Installation:
        id = installation_id
        fortnox_tenant_id = None

    events, _ = parse_fortnox_events(
        [fortnox_event(f"offset-{n}", type_=type_) for n, type_ in enumerate(types)]
    )
    return fortnox_new_events(_Installation(), events)


@pytest.mark.parametrize(
    "event_type",
    ["invoice-created-v1", "invoice-of-a-type-not-used-v1"],
    ids=["on-asyncpg", "through-sqlalchemy"],  # an event stored without a job goes this way
)
async def test_the_writer_gives_a_silent_connection_up_and_writes_on_a_new_one(
    relayed: tuple[SilencingRelay, AsyncEngine], event_type: str
) -> None:
    relay, engine = relayed
    async with engine.begin() as connection:
        installation_id = uuid.uuid4()
        await connection.execute(
            Installation.__table__.insert().values(id=installation_id, name="Acme", version=1)
        )
    writer = IntakeWriter(engine, wait_seconds=WAIT_SECONDS)
    relay.silence()
    with pytest.raises(TimeoutError):
        await writer.record(EventsOf(installation_id, _fortnox_events(installation_id, event_type)))
    (result,) = await writer.record(
        EventsOf(installation_id, _fortnox_events(installation_id, "invoice-created-v1"))
    )
    assert result.status == "accepted"
