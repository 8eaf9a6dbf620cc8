"""Consumer of Fortnox's WebSocket change stream (reference fortnox.md §6).

One connection serves every installation, as Fortnox asks. On connect the consumer sends
``add-tenants-v1`` (the client secret and the access tokens of all active installations; the
reply maps each token to its tenant id), ``add-topics-v1`` (customers, articles, orders,
invoices, offers, each with the offset stored for it) and ``subscribe-v1``. Events are handed
to the same intake, dedupe and classification by event type
(:mod:`upsales_fortnox.intake.fortnox_events`) as the HTTP endpoint, in batches; the offsets of
a batch are saved in the transaction that records it, so after a restart the stream resumes
where the database says, and nothing recorded is lost or recorded twice (delivery is at least
once, the intake's dedupe key ``fortnox:{topic}:{offset}`` drops repeats).

While connected, the consumer re-reads the installations every
``StreamPolicy.tenant_refresh_seconds`` (or at once after :meth:`StreamConsumer.refresh_tenants`)
and sends ``add-tenants-v1`` for new installations and rotated tokens, ``remove-tenants-v1`` for
installations that are no longer active. A lost connection is re-opened with exponential
backoff. Tokens and the client secret never appear in logs.

Choices about Fortnox that no source settles are in :mod:`upsales_fortnox.fortnox.facts`
(``STREAM_REFUSED_OFFSET_RESTARTS_FROM_NOW``, ``STREAM_REPLIES_IN_COMMAND_ORDER``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.models import (
    FortnoxCredentials,
    Installation,
    InstallationStatus,
    StreamOffset,
)
from upsales_fortnox.db.types import utcnow
from upsales_fortnox.errors import SyncError
from upsales_fortnox.intake import FortnoxChangeEvent, record_fortnox_events
from upsales_fortnox.services import Services

log = logging.getLogger(__name__)

TOPICS: Final = ("customers", "articles", "orders", "invoices", "offers")

Message = dict[str, Any]


# --- the wire protocol (pure) -----------------------------------------------------------------


def add_tenants_command(client_secret: str, access_tokens: Sequence[str]) -> Message:
    return {
        "command": "add-tenants-v1",
        "clientSecret": client_secret,
        "accessTokens": [f"Bearer {token}" for token in access_tokens],
    }


def remove_tenants_command(tenant_ids: Sequence[str]) -> Message:
    return {"command": "remove-tenants-v1", "tenants": [_tenant_value(t) for t in tenant_ids]}


def _tenant_value(tenant_id: str) -> int | str:
    return int(tenant_id) if tenant_id.isdigit() else tenant_id


def add_topics_command(topics: Sequence[str], offsets: Mapping[str, str]) -> Message:
    entries: list[Message] = []
    for topic in topics:
        entry: Message = {"topic": topic}
        if offsets.get(topic):
            entry["offset"] = offsets[topic]
        entries.append(entry)
    return {"command": "add-topics-v1", "topics": entries}


SUBSCRIBE: Final[Message] = {"command": "subscribe-v1"}


def is_event(message: Message) -> bool:
    return "topic" in message and "offset" in message and "response" not in message


def tenant_ids_by_token(reply: Message) -> dict[str, str]:
    """``add-tenants-v1`` reply → access token (without ``Bearer``) → tenant id."""
    found = reply.get("tenantIds")
    if not isinstance(found, dict):
        return {}
    return {_bare(str(token)): str(tenant) for token, tenant in found.items()}


def _bare(token: str) -> str:
    scheme, _, value = token.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else token.strip()


def latest_offsets(events: Sequence[Message]) -> dict[str, str]:
    """The offset of the last event of each topic (events arrive in order within a topic)."""
    offsets: dict[str, str] = {}
    for event in events:
        offsets[str(event["topic"])] = str(event["offset"])
    return offsets


# --- what the consumer knows about installations ----------------------------------------------


@dataclass(frozen=True)
class StreamTenant:
    """An installation as the intake sees it (``id``, ``fortnox_tenant_id``)."""

    id: uuid.UUID
    fortnox_tenant_id: str | None


class StreamRecorder(Protocol):
    """Records one installation's events (the intake), in the caller's transaction."""

    async def __call__(
        self, session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None: ...


async def record_with_intake(
    session: AsyncSession, tenant: StreamTenant, events: Sequence[Message]
) -> None:
    """The default recorder: the event intake, shared with the HTTP endpoint and its dedupe.

    An event that does not fit Fortnox's event shape is logged and skipped.
    """
    parsed: list[FortnoxChangeEvent] = []
    for event in events:
        try:
            parsed.append(FortnoxChangeEvent.model_validate(event))
        except ValueError:
            log.warning(
                "skipping a malformed stream event (topic %r, offset %r)",
                event.get("topic"),
                event.get("offset"),
            )
    if parsed:
        await record_fortnox_events(session, tenant, parsed)


class TokenSource(Protocol):
    async def access_token(self, installation_id: uuid.UUID) -> str: ...


async def active_installations(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[StreamTenant]:
    """Active installations that have Fortnox tokens."""
    async with session_factory() as session:
        rows = await session.execute(
            select(Installation.id, Installation.fortnox_tenant_id)
            .join(FortnoxCredentials, FortnoxCredentials.installation_id == Installation.id)
            .where(Installation.status == InstallationStatus.ACTIVE)
            .order_by(Installation.created_at)
        )
        return [StreamTenant(row.id, row.fortnox_tenant_id) for row in rows]


async def load_offsets(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.scalars(select(StreamOffset))
        return {row.topic: row.offset for row in rows}


async def save_offsets(session: AsyncSession, offsets: Mapping[str, str]) -> None:
    """Store the topics' offsets in the caller's transaction."""
    for topic, offset in sorted(offsets.items()):
        row = await session.get(StreamOffset, topic)
        if row is None:
            session.add(StreamOffset(topic=topic, offset=offset, updated_at=utcnow()))
        else:
            row.offset = offset
            row.updated_at = utcnow()


# --- the consumer -----------------------------------------------------------------------------


class StreamProtocolError(SyncError):
    """Fortnox answered a command with an error, or not at all."""

    code = "fortnox_stream_protocol"


class _Connection(Protocol):
    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...


Connect = Callable[[str], AbstractAsyncContextManager[_Connection]]


def _websockets_connect(url: str) -> AbstractAsyncContextManager[_Connection]:
    from websockets.asyncio.client import connect

    return connect(url, open_timeout=30, close_timeout=5, max_size=2**20)


@dataclass(frozen=True)
class StreamPolicy:
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    tenant_refresh_seconds: float = 30.0
    """How often the followed installations and their tokens are re-read while connected, so a
    new login is followed within this time (reconciliation covers anything before it)."""
    reply_timeout_seconds: float = 30.0
    idle_retry_seconds: float = 5.0
    """How long to wait before looking again when no installation is active."""
    max_batch: int = 500
    jitter: Callable[[], float] = field(default=random.random)

    def backoff(self, failures: int) -> float:
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (failures - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()


class StreamConsumer:
    """Keeps one stream connection for all active installations; see the module docstring."""

    def __init__(
        self,
        *,
        url: str,
        client_secret: str,
        session_factory: async_sessionmaker[AsyncSession],
        tokens: TokenSource,
        recorder: StreamRecorder,
        policy: StreamPolicy | None = None,
        connect: Connect = _websockets_connect,
        topics: Sequence[str] = TOPICS,
    ) -> None:
        self._url = url
        self._secret = client_secret
        self._session_factory = session_factory
        self._tokens = tokens
        self._recorder = recorder
        self._policy = policy or StreamPolicy()
        self._connect = connect
        self._topics = tuple(topics)
        self._refresh = asyncio.Event()
        self._progress = asyncio.Condition()
        self.events_recorded = 0
        """Events handed to the recorder and committed, since this consumer started."""
        self.connections = 0
        """Connections that reached ``subscribe-v1``."""
        self.tenant_updates = 0
        """Times the followed installations were re-read while connected."""
        self.failures = 0
        """Connections that failed or were lost."""
        self.followed: dict[str, uuid.UUID] = {}
        """Tenant id → installation, as Fortnox confirmed them."""
        self._sent_tokens: dict[uuid.UUID, str] = {}

    def refresh_tenants(self) -> None:
        """Re-read the installations and tokens now instead of at the next interval."""
        self._refresh.set()

    async def wait_until(self, predicate: Callable[[StreamConsumer], bool]) -> None:
        """Wait until ``predicate(self)`` holds, checked after every batch, connection and
        tenant update (wrap in ``asyncio.timeout``)."""
        async with self._progress:
            await self._progress.wait_for(lambda: predicate(self))

    async def _notify(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, reconnecting with backoff."""
        failures = 0
        while not stop.is_set():
            try:
                subscribed = await self._connection(stop)
                if subscribed is None:  # no installation to follow yet
                    await _wait(stop, self._refresh, self._policy.idle_retry_seconds)
                    continue
                failures = 0
            except Exception as exc:  # never give up: back off and reconnect
                failures += 1
                self.failures += 1
                await self._notify()
                log.warning(
                    "Fortnox stream failed (%s); reconnecting",
                    _describe(exc),
                    exc_info=not _is_connection_error(exc),
                )
            if stop.is_set():
                return
            await _wait(stop, None, self._policy.backoff(max(failures, 1)))

    async def _connection(self, stop: asyncio.Event) -> bool | None:
        """One connection, until it drops or ``stop``; None when there is nothing to follow."""
        self._refresh.clear()
        tenants = await self._wanted_tokens()
        if not tenants:
            return None
        async with self._connect(self._url) as connection:
            inbox: asyncio.Queue[Message] = asyncio.Queue()
            replies: asyncio.Queue[Message] = asyncio.Queue()
            reader = asyncio.create_task(_read(connection, inbox, replies))
            try:
                added = await self._add_tenants(connection, replies, tenants, {})
                self._sent_tokens = {tenant.id: token for tenant, token in tenants.items()}
                await self._add_topics(connection, replies)
                await self._command(connection, replies, SUBSCRIBE)
                self.connections += 1
                self.followed = {tenant_id: tenant.id for tenant_id, tenant in added.items()}
                await self._notify()
                log.info("Fortnox stream subscribed for %d installation(s)", len(added))
                await self._consume(connection, reader, inbox, replies, added, stop)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader
        return True

    async def _wanted_tokens(self) -> dict[StreamTenant, str]:
        wanted: dict[StreamTenant, str] = {}
        for tenant in await active_installations(self._session_factory):
            try:
                wanted[tenant] = await self._tokens.access_token(tenant.id)
            except SyncError as exc:
                log.warning(
                    "no Fortnox token for installation %s on the stream (%s)", tenant.id, exc.code
                )
        return wanted

    async def _command(
        self, connection: _Connection, replies: asyncio.Queue[Message], command: Message
    ) -> Message:
        await connection.send(json.dumps(command))
        try:
            reply = await asyncio.wait_for(replies.get(), self._policy.reply_timeout_seconds)
        except TimeoutError:
            raise StreamProtocolError(f"no reply to {command['command']}") from None
        return reply

    async def _add_tenants(
        self,
        connection: _Connection,
        replies: asyncio.Queue[Message],
        tokens: Mapping[StreamTenant, str],
        known: Mapping[str, StreamTenant],
    ) -> dict[str, StreamTenant]:
        """Add the installations' tokens; tenant id → installation for those accepted."""
        if not tokens:
            return dict(known)
        reply = await self._command(
            connection, replies, add_tenants_command(self._secret, list(tokens.values()))
        )
        by_token = tenant_ids_by_token(reply)
        added = dict(known)
        for tenant, token in tokens.items():
            tenant_id = by_token.get(token)
            if tenant_id is None:
                log.warning("Fortnox refused the stream token of installation %s", tenant.id)
                continue
            if tenant.fortnox_tenant_id not in (None, tenant_id):
                log.warning(
                    "installation %s belongs to tenant %s, its token to %s; not followed",
                    tenant.id,
                    tenant.fortnox_tenant_id,
                    tenant_id,
                )
                continue
            added[tenant_id] = tenant
        if not added and reply.get("result") != "ok":
            raise StreamProtocolError("add-tenants-v1 was refused for every installation")
        return added

    async def _add_topics(self, connection: _Connection, replies: asyncio.Queue[Message]) -> None:
        offsets = await load_offsets(self._session_factory)
        reply = await self._command(connection, replies, add_topics_command(self._topics, offsets))
        invalid = [str(t) for t in reply.get("invalidTopics") or () if t in self._topics]
        if invalid:
            log.warning(
                "Fortnox refused the stored offsets of %s; streaming them from now, "
                "reconciliation covers the gap",
                ", ".join(invalid),
            )
            retry = await self._command(connection, replies, add_topics_command(invalid, {}))
            if retry.get("result") != "ok":
                raise StreamProtocolError(f"add-topics-v1 refused {', '.join(invalid)}")
        elif reply.get("result") != "ok":
            raise StreamProtocolError("add-topics-v1 was refused")

    async def _consume(
        self,
        connection: _Connection,
        reader: asyncio.Task[None],
        inbox: asyncio.Queue[Message],
        replies: asyncio.Queue[Message],
        tenants: dict[str, StreamTenant],
        stop: asyncio.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        next_refresh = loop.time() + self._policy.tenant_refresh_seconds
        stopping = asyncio.ensure_future(stop.wait())
        refreshing = asyncio.ensure_future(self._refresh.wait())
        try:
            while True:
                getting = asyncio.ensure_future(inbox.get())
                timeout = max(0.0, next_refresh - loop.time())
                done, _ = await asyncio.wait(
                    {getting, reader, stopping, refreshing},
                    timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getting in done:
                    batch = [getting.result()]
                    while not inbox.empty() and len(batch) < self._policy.max_batch:
                        batch.append(inbox.get_nowait())
                    await self._record(batch, tenants)
                else:
                    getting.cancel()
                if stopping in done:
                    return
                if reader in done and inbox.empty():
                    reader.result()  # raises the connection's error
                    raise ConnectionError("the stream closed")
                if refreshing in done or loop.time() >= next_refresh:
                    self._refresh.clear()
                    refreshing = asyncio.ensure_future(self._refresh.wait())
                    tenants = await self._update_tenants(connection, replies, tenants)
                    next_refresh = loop.time() + self._policy.tenant_refresh_seconds
                    self.tenant_updates += 1
                    self.followed = {key: tenant.id for key, tenant in tenants.items()}
                    await self._notify()
        finally:
            stopping.cancel()
            refreshing.cancel()

    async def _update_tenants(
        self,
        connection: _Connection,
        replies: asyncio.Queue[Message],
        tenants: dict[str, StreamTenant],
    ) -> dict[str, StreamTenant]:
        """Add new installations and rotated tokens; remove installations no longer active."""
        wanted = await self._wanted_tokens()
        followed = {tenant.id: tenant_id for tenant_id, tenant in tenants.items()}
        fresh = {
            tenant: token
            for tenant, token in wanted.items()
            if tenant.id not in followed or self._sent_tokens.get(tenant.id) != token
        }
        gone = [
            tenant_id
            for tenant_id, tenant in tenants.items()
            if tenant.id not in {t.id for t in wanted}
        ]
        remaining = {k: v for k, v in tenants.items() if k not in gone}
        if gone:
            await self._command(connection, replies, remove_tenants_command(gone))
        updated = await self._add_tenants(connection, replies, fresh, remaining)
        for tenant, token in fresh.items():
            self._sent_tokens[tenant.id] = token
        return updated

    async def _record(self, batch: list[Message], tenants: Mapping[str, StreamTenant]) -> None:
        """Record a batch and its offsets in one transaction."""
        by_tenant: dict[str, list[Message]] = {}
        for event in batch:
            by_tenant.setdefault(str(event.get("tenantId")), []).append(event)
        async with self._session_factory() as session:
            for tenant_id, events in sorted(by_tenant.items()):
                tenant = tenants.get(tenant_id)
                if tenant is None:
                    log.info("skipping %d stream event(s) of an unknown tenant", len(events))
                    continue
                await self._recorder(session, tenant, events)
            await save_offsets(session, latest_offsets(batch))
            await session.commit()
        self.events_recorded += len(batch)
        await self._notify()


async def _read(
    connection: _Connection, inbox: asyncio.Queue[Message], replies: asyncio.Queue[Message]
) -> None:
    """Sort incoming messages into events and command replies until the connection ends."""
    async for raw in connection:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("ignoring a stream message that is not JSON")
            continue
        if not isinstance(message, dict):
            continue
        if is_event(message):
            await inbox.put(message)
        else:
            await replies.put(message)


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` (or ``wake``) is set."""
    waiters = {asyncio.ensure_future(stop.wait())}
    if wake is not None:
        waiters.add(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _is_connection_error(exc: BaseException) -> bool:
    from websockets.exceptions import WebSocketException

    return isinstance(exc, WebSocketException | OSError | TimeoutError | StreamProtocolError)


def _describe(exc: BaseException) -> str:
    """The error's class and, for our own errors, message; never a token."""
    if isinstance(exc, StreamProtocolError):
        return exc.message
    return type(exc).__name__


def build_stream_consumer(services: Services) -> StreamConsumer:
    return StreamConsumer(
        url=services.settings.fortnox_ws_url,
        client_secret=services.settings.fortnox_client_secret.get_secret_value(),
        session_factory=services.session_factory,
        tokens=services.token_store,
        recorder=record_with_intake,
    )


async def run_stream_consumer(services: Services, stop: asyncio.Event) -> None:
    """Consume Fortnox's change stream for every active installation until ``stop`` is set.

    Run one consumer per deployment (Fortnox asks for one connection for all tenants).
    """
    await build_stream_consumer(services).run(stop)
