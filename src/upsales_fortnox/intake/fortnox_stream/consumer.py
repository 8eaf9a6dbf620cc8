"""Consumer of Fortnox's WebSocket change stream (reference fortnox.md §6).

One connection serves every installation, as Fortnox asks. On connect the consumer sends
``add-tenants-v1`` (the client secret and the access tokens of all active installations; the
reply maps each token to its tenant id), ``add-topics-v1`` (customers, articles, orders,
invoices, offers, each with the offset stored for it) and ``subscribe-v1``. Events are handed to
the intake, dedupe and classification by event type of the HTTP endpoint
(:mod:`upsales_fortnox.intake.fortnox_events`) in batches; a batch's offsets are saved in the
transaction that records it (an event the intake skips moves none: :func:`.recording.storable`;
a row lock is waited for ``lock_wait_seconds`` at most: :func:`.recording.batch_session`),
so after a restart the stream resumes where the database says, nothing recorded lost or
recorded twice (delivery is at least once; the dedupe key ``fortnox:{topic}:{offset}`` drops
repeats). Events are read only as fast as they are recorded (``StreamPolicy.max_buffered``); a
reply to a command sent while subscribed is awaited recording the events ahead of it.

While connected, the consumer re-reads the installations every ``tenant_refresh_seconds`` of
its policy (or at once after :meth:`StreamConsumer.refresh_tenants`) and sends ``add-tenants-v1``
for new installations and rotated tokens, ``remove-tenants-v1`` for those no longer active. A
lost connection is re-opened with backoff. Tokens and the client secret never appear in logs.

Commands and messages: :mod:`upsales_fortnox.integrations.fortnox.stream`; the database's part:
:mod:`upsales_fortnox.intake.repository.stream_offsets`; choices no source settles:
:mod:`upsales_fortnox.integrations.fortnox.facts` (``STREAM_REFUSED_OFFSET_RESTARTS_FROM_NOW``,
``STREAM_REPLIES_IN_COMMAND_ORDER``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.intake.fortnox_stream.followed import tenant_changes, wait_or_stop
from upsales_fortnox.intake.fortnox_stream.recording import (
    StreamRecorder,
    StreamTenant,
    TokenSource,
    batch_session,
    by_tenant,
    storable,
)
from upsales_fortnox.intake.fortnox_stream.token_reads import TokenReads
from upsales_fortnox.intake.repository.stream_offsets import (
    active_installations,
    load_offsets,
    save_offsets,
)
from upsales_fortnox.integrations.fortnox.stream import (
    SUBSCRIBE,
    TOPICS,
    Connect,
    Message,
    StreamConnection,
    StreamProtocolError,
    add_tenants_command,
    add_topics_command,
    describe,
    is_connection_error,
    latest_offsets,
    read_messages,
    remove_tenants_command,
    tenant_ids_by_token,
    websockets_connect,
)

log = logging.getLogger(__name__)


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
    lock_wait_seconds: float = 10.0  # a batch's wait for a row lock (:func:`batch_session`)
    token_wait_seconds: float = 2.0  # for the tokens' reads at an update (:mod:`.token_reads`)
    max_buffered: int = 1000
    """Events read from the connection and not recorded yet, at most: a burst beyond it waits in
    the connection (Fortnox's stream is read only as fast as it is recorded)."""
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
        session_factory: DbSessionFactory,
        tokens: TokenSource,
        recorder: StreamRecorder,
        policy: StreamPolicy | None = None,
        connect: Connect = websockets_connect,
        topics: Sequence[str] = TOPICS,
    ) -> None:
        self._url = url
        self._secret = client_secret
        self._session_factory = session_factory
        self._token_reads = TokenReads(tokens)
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
        self._held: list[Message] = []

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
                    await wait_or_stop(stop, self._refresh, self._policy.idle_retry_seconds)
                    continue
                failures = 0
            except Exception as exc:  # never give up: back off and reconnect
                failures += 1
                self.failures += 1
                await self._notify()
                log.warning(
                    "Fortnox stream failed (%s); reconnecting",
                    describe(exc),
                    exc_info=not is_connection_error(exc),
                )
            if stop.is_set():
                return
            await wait_or_stop(stop, None, self._policy.backoff(max(failures, 1)))

    async def _connection(self, stop: asyncio.Event) -> bool | None:
        """One connection, until it drops or ``stop``; None when there is nothing to follow."""
        self._refresh.clear()
        tenants, _ = await self._wanted_tokens()
        if not tenants:
            return None
        async with self._connect(self._url) as connection:
            inbox: asyncio.Queue[Message] = asyncio.Queue(self._policy.max_buffered)
            self._held = []
            replies: asyncio.Queue[Message] = asyncio.Queue()
            reader = asyncio.create_task(read_messages(connection, inbox, replies))
            try:
                added = await self._add_tenants(connection, replies, tenants, {})
                self._sent_tokens = {tenant.id: token for tenant, token in tenants.items()}
                await self._add_topics(connection, replies)
                # a replay may come before the reply: recorded meanwhile, as a full inbox
                # would keep the reader from the reply
                await self._command(connection, replies, SUBSCRIBE, (inbox, added))
                await self._record_held(added)
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

    async def _wanted_tokens(self) -> tuple[dict[StreamTenant, str], set[uuid.UUID]]:
        """The active installations' tokens that can be read now, and all active installations."""
        active = await active_installations(self._session_factory)
        wanted = await self._token_reads.wanted(active, self._policy.token_wait_seconds)
        return wanted, {tenant.id for tenant in active}

    async def _command(
        self,
        connection: StreamConnection,
        replies: asyncio.Queue[Message],
        command: Message,
        events: tuple[asyncio.Queue[Message], Mapping[str, StreamTenant]] | None = None,
    ) -> Message:
        """Send ``command`` and wait for its reply; while subscribed (``events``: the inbox and
        the tenants followed), events that arrive meanwhile are recorded, so a full inbox never
        keeps the reader from the reply behind it. From the first of a tenant not followed
        (perhaps the one being added) on, they are held for :meth:`_record_held`."""
        await connection.send(json.dumps(command))
        try:
            async with asyncio.timeout(self._policy.reply_timeout_seconds):
                if events is None:
                    return await replies.get()
                return await self._reply_recording(replies, *events)
        except TimeoutError:
            raise StreamProtocolError(f"no reply to {command['command']}") from None

    async def _reply_recording(
        self,
        replies: asyncio.Queue[Message],
        inbox: asyncio.Queue[Message],
        tenants: Mapping[str, StreamTenant],
    ) -> Message:
        while True:
            reply = asyncio.ensure_future(replies.get())
            event = asyncio.ensure_future(inbox.get())
            try:
                done, _ = await asyncio.wait({reply, event}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reply.cancel()
                event.cancel()
            if event in done:
                batch = self._batch(event.result(), inbox)
                if not self._held:
                    known = [str(e.get("tenantId")) in tenants for e in batch]
                    ahead = known.index(False) if False in known else len(batch)
                    if ahead:
                        await self._record(batch[:ahead], tenants)
                    batch = batch[ahead:]
                self._held.extend(batch)
            if reply in done:
                return reply.result()

    async def _record_held(self, tenants: Mapping[str, StreamTenant]) -> None:
        """Record the events held while a command waited, now ``tenants`` names theirs."""
        held, self._held = self._held, []
        for start in range(0, len(held), self._policy.max_batch):
            await self._record(held[start : start + self._policy.max_batch], tenants)

    def _batch(self, first: Message, inbox: asyncio.Queue[Message]) -> list[Message]:
        batch = [first]
        while not inbox.empty() and len(batch) < self._policy.max_batch:
            batch.append(inbox.get_nowait())
        return batch

    async def _add_tenants(
        self,
        connection: StreamConnection,
        replies: asyncio.Queue[Message],
        tokens: Mapping[StreamTenant, str],
        known: Mapping[str, StreamTenant],
        events: tuple[asyncio.Queue[Message], Mapping[str, StreamTenant]] | None = None,
    ) -> dict[str, StreamTenant]:
        """Add the installations' tokens; tenant id → installation for those accepted."""
        if not tokens:
            return dict(known)
        reply = await self._command(
            connection, replies, add_tenants_command(self._secret, list(tokens.values())), events
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

    async def _add_topics(
        self, connection: StreamConnection, replies: asyncio.Queue[Message]
    ) -> None:
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
        connection: StreamConnection,
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
                    await self._record(self._batch(getting.result(), inbox), tenants)
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
                    tenants = await self._update_tenants(connection, replies, inbox, tenants)
                    next_refresh = loop.time() + self._policy.tenant_refresh_seconds
                    self.tenant_updates += 1
                    self.followed = {key: tenant.id for key, tenant in tenants.items()}
                    await self._notify()
        finally:
            stopping.cancel()
            refreshing.cancel()

    async def _update_tenants(
        self,
        connection: StreamConnection,
        replies: asyncio.Queue[Message],
        inbox: asyncio.Queue[Message],
        tenants: dict[str, StreamTenant],
    ) -> dict[str, StreamTenant]:
        """Add new installations and rotated tokens; remove installations no longer active."""
        wanted, active = await self._wanted_tokens()
        fresh, gone = tenant_changes(tenants, active, wanted, self._sent_tokens)
        remaining = {k: v for k, v in tenants.items() if k not in gone}
        if gone:
            await self._command(connection, replies, remove_tenants_command(gone), (inbox, tenants))
        updated = await self._add_tenants(connection, replies, fresh, remaining, (inbox, tenants))
        await self._record_held(updated)
        for tenant, token in fresh.items():
            self._sent_tokens[tenant.id] = token
        return updated

    async def _record(self, batch: list[Message], tenants: Mapping[str, StreamTenant]) -> None:
        """Record a batch and its offsets in one transaction."""
        async with batch_session(self._session_factory, self._policy.lock_wait_seconds) as session:
            for tenant_id, events in by_tenant(batch):
                tenant = tenants.get(tenant_id)
                if tenant is None:
                    log.info("skipping %d stream event(s) of an unknown tenant", len(events))
                    continue
                await self._recorder(session, tenant, events)
            await save_offsets(session, latest_offsets(storable(batch, self._topics)))
            await session.commit()
        self.events_recorded += len(batch)
        await self._notify()
