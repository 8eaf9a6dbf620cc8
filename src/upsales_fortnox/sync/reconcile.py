"""Periodic reconciliation: Fortnox changes that no event brought in (stream down for longer
than Fortnox keeps events, a webhook lost) are found by Fortnox's ``lastmodified`` filter.

A ``reconcile`` job per installation lists, for each topic (customers, articles, orders, invoices,
offers), the entities changed since that topic's checkpoint (minus :data:`OVERLAP`, as
``lastmodified`` has minute precision and clocks drift; the value is Swedish local time, see
:mod:`upsales_fortnox.integrations.fortnox.lastmodified`) and feeds one synthetic change event per
entity into the same intake and dedupe as the stream: its offset is
``reconcile:{entity id}:{checkpoint}`` (a long id by a digest, :func:`synthetic_offset`), so its
key is ``fortnox:{topic}:reconcile:{entity id}:{checkpoint}`` and a repeated run over the same
window records nothing twice. The checkpoint in the key is the exact instant
(:func:`window_marker`), not the ``lastmodified`` value sent: that has minute precision and names
one minute for every checkpoint in the first pass of the autumn's repeated hour, so two runs'
windows would share keys and the later run would take a new change of an entity the earlier one
listed for a repeat. The events are recorded :data:`RECORD_CHUNK` to a transaction, and the
checkpoint of a topic moves to the run's start with the last of them. A window of more chunks than
one first moves its checkpoint :data:`RENAMED_BY` back, with its first chunk: a run that stops
before its last chunk (killed, the database or Fortnox away) leaves its window on an instant no
run named, so the next run's events have keys of their own and every entity it lists is synced
again, a change made after the stopped run's job had read the entity included. A complete run
repeated over its window still names it alike and records nothing twice. The payments window
(:mod:`.money.reconcile_money`) does the same; batches named by their day (overdue invoices, the
deletion sweep) do not, and a rerun that day takes what the stopped run recorded for repeats: that
loses nothing, a deletion is final and an invoice's later changes come with the ``invoices``
window. The Fortnox login starts the checkpoints at activation
(:func:`seed_reconcile_checkpoints`; a later login keeps them), so changes made while an
installation waits before its first run (paused, say) are found however long it waited; one
without checkpoints looks back :data:`FIRST_RUN_LOOKBACK`.

Deletions leave no trace in ``lastmodified`` lists, so once per :data:`SWEEP_INTERVAL` the job
lists all customer and article numbers and feeds a deletion event for each linked one Fortnox
no longer has (its handler then sees the 404). Nor does a price changed in a price list: no
event tells of it (Fortnox has no price topic) and the article it prices need not change, so
the article sweep also queues the ``reprice_products`` job (:mod:`.inbound.reprice`, one
Fortnox call per active product with an article, in batches that let the installation's other
jobs run between them; not at an installation's first sweep, just after its initial import
priced them), and a price the bookkeeper changes reaches Upsales within a day.

Every list is read with :meth:`~upsales_fortnox.integrations.ports.FortnoxPort.iter_gapless`:
sorted by the register's number, each page after the first starting a few entities before the
last one read, and trusted only when it holds an entity already read (see
:mod:`upsales_fortnox.integrations.fortnox.gapless`). Read page after page in Fortnox's own
order, a deletion (or a change out of a filter) between two page reads would move the next
page's first entity onto the page read already, and its change would never be fed; in the
sweep, a linked entity so skipped would be fed as deleted. A window of one page (the usual
run) still costs one call; a longer one about one call in 20 more, and one more per deletion
that outruns the overlap.

:func:`schedule_reconciliation` queues the job for every active installation (a queued one
absorbs a second request); :func:`run_reconcile_scheduler` does that every
``settings.reconcile_interval_minutes``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from upsales_fortnox.core.db.lock_wait import bound_lock_waits
from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.intake.fortnox_events import (
    RECONCILE_CHANGED,
    RECONCILE_DELETED,
    reconcile_event_type,
)
from upsales_fortnox.intake.fortnox_stream.recording import (
    StreamRecorder,
    StreamTenant,
    record_with_intake,
)
from upsales_fortnox.intake.wire import MAX_DELIVERY_ID_LENGTH
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    Invoice,
    Offer,
    Order,
)
from upsales_fortnox.integrations.fortnox.stream import Message
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.links.repository.earlier_deal_documents import live_earlier_ids
from upsales_fortnox.links.repository.link_reads import linked_fortnox_ids
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice
from upsales_fortnox.sync.money.reconcile_money import PAYMENTS_CHECKPOINT, money_batches
from upsales_fortnox.sync.repository import reconcile_checkpoints
from upsales_fortnox.sync.repository.reconcile_checkpoints import (
    load_checkpoints,
    save_checkpoint,
    window_marker,
)
from upsales_fortnox.sync.results.periodic import ReconcileResult
from upsales_fortnox.sync.scheduling import every_interval, queue_for_active_installations
from upsales_fortnox.vocabulary import FortnoxType, JobKind

log = logging.getLogger(__name__)

RECONCILE_ENTITY: Final = "fortnox"
"""``entity_id`` of reconcile jobs, so a request while one is queued coalesces into it."""
FIRST_RUN_LOOKBACK: Final = timedelta(days=1)
OVERLAP: Final = timedelta(minutes=2)
SWEEP_INTERVAL: Final = timedelta(days=1)
RECORD_CHUNK: Final = 500
"""Events recorded per transaction: a chunk's statements stay within the drivers' limit on bound
parameters (asyncpg's 32767; looking up the stored keys takes three a key), and its transaction
holds its jobs' rows (on SQLite, the database's one writer lock) only that long."""
RECORD_LOCK_WAIT_SECONDS: Final = 10.0
"""How long a chunk's transaction waits for a row another holds (PostgreSQL), at most: then the
run fails and its job is retried (``database_lock_timeout``), rather than holding the worker's
slot and the installation's lease as long as that other transaction lasts."""
RENAMED_BY: Final = timedelta(microseconds=1)
"""How far back a window recorded in more than one chunk moves its checkpoint with its first
chunk (the markers' precision): a run stopped part way leaves its window named anew."""
UNKNOWN_TENANT: Final = "unknown"

_SINGULAR: Final = {
    "customers": "customer",
    "articles": "article",
    "orders": "order",
    "invoices": "invoice",
    "offers": "offer",
}
TOPICS: Final = tuple(_SINGULAR)
_SWEPT: Final = {"customers": FortnoxType.CUSTOMER, "articles": FortnoxType.ARTICLE}
_SWEEP_SUFFIX: Final = ":sweep"

Lister = Callable[[datetime | None], AsyncIterator[Entity]]


async def seed_reconcile_checkpoints(
    session: DbSession, installation_id: uuid.UUID, at: datetime
) -> None:
    """Start the installation's windows (topics and payments) at ``at``, its activation, unless
    it has them already. In the caller's transaction."""
    await reconcile_checkpoints.seed_checkpoints(
        session, installation_id, (*TOPICS, PAYMENTS_CHECKPOINT), at
    )


_MODELS: Final[dict[str, type[Entity]]] = {
    "customers": Customer,
    "articles": Article,
    "orders": Order,
    "invoices": Invoice,
    "offers": Offer,
}


def _listers(fortnox: FortnoxPort) -> dict[str, Lister]:
    """Each topic's register, read whole (see the module on paging)."""

    def lister(model: type[Entity]) -> Lister:
        return lambda since: fortnox.iter_gapless(model, last_modified=since)

    return {topic: lister(model) for topic, model in _MODELS.items()}


_KEY_FIELDS: Final = {
    "customers": "CustomerNumber",
    "articles": "ArticleNumber",
    "orders": "DocumentNumber",
    "invoices": "DocumentNumber",
    "offers": "DocumentNumber",
}


def entity_number(topic: str, entity: Entity) -> str | None:
    """The number a topic's entity is known by (documents also carry a customer number)."""
    value = getattr(entity, _KEY_FIELDS[topic], None)
    text = str(value).strip() if value is not None else ""
    return text or None


NAMED_AS_IS: Final = 50
"""The longest entity id a synthetic offset holds as it is; a longer one (a customer number may
be 1024 characters) is named by a digest, as is one whose offset would pass the length an offset
may be (a payment's number beside its window's marker)."""


def synthetic_offset(entity_id: str, marker: str) -> str:
    """A synthetic event's offset, ``reconcile:{entity id}:{marker}``: the id as it is, or ``#``
    (in no Fortnox number) and a digest of it where it would not fit (:data:`NAMED_AS_IS`)."""
    offset = f"reconcile:{entity_id}:{marker}"
    if len(entity_id) <= NAMED_AS_IS and len(offset) <= MAX_DELIVERY_ID_LENGTH:
        return offset
    digest = hashlib.sha256(entity_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"reconcile:#{digest}:{marker}"


def synthetic_event(
    topic: str,
    entity_id: str,
    marker: str,
    *,
    tenant_id: str | None,
    now: datetime,
    kind: str,
    event_type: str | None = None,
) -> Message:
    """A change event in the stream's shape, for an entity reconciliation found (of
    ``event_type`` when given: a stream event's own type)."""
    return {
        "topic": topic,
        "offset": synthetic_offset(entity_id, marker),
        "type": event_type or reconcile_event_type(topic, kind),
        "tenantId": tenant_id or UNKNOWN_TENANT,
        "entityId": entity_id,
        "timestamp": now.isoformat(),
    }


async def _record(
    session_factory: DbSessionFactory,
    recorder: StreamRecorder,
    tenant: StreamTenant,
    events: Sequence[Message],
    checkpoint: tuple[str, datetime],
    *,
    window: datetime | None = None,
    with_checkpoint: Callable[[DbSession], Awaitable[object]] | None = None,
) -> None:
    """Record the events in chunks; the checkpoint moves with the last chunk (and
    ``with_checkpoint`` is done in its transaction). ``window``: the checkpoint the events'
    marker names; events of more than one chunk move it :data:`RENAMED_BY` back with the first,
    so a run that stops before its last chunk leaves a window the next run names anew."""
    chunks = [events[i : i + RECORD_CHUNK] for i in range(0, len(events), RECORD_CHUNK)] or [[]]
    topic, until = checkpoint
    for index, chunk in enumerate(chunks):
        async with session_factory() as session:
            await bound_lock_waits(session, RECORD_LOCK_WAIT_SECONDS)
            if chunk:
                await recorder(session, tenant, chunk)
            if index == len(chunks) - 1:
                await save_checkpoint(session, tenant.id, topic, until)
                if with_checkpoint is not None:
                    await with_checkpoint(session)
            elif index == 0 and window is not None:
                await save_checkpoint(session, tenant.id, topic, window - RENAMED_BY)
            await session.commit()


async def reconcile_installation(
    services: Services,
    installation_id: uuid.UUID,
    recorder: StreamRecorder = record_with_intake,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> ReconcileResult:
    """One reconciliation run; the job result (entities fed per topic)."""
    context = await installation_context(services, installation_id)
    tenant = StreamTenant(installation_id, context.fortnox_tenant_id)
    session_factory = services.session_factory
    now = clock()
    checkpoints = await load_checkpoints(session_factory, installation_id)
    listers = _listers(context.fortnox)
    changed: dict[str, int] = {}
    for topic in TOPICS:
        since = checkpoints.get(topic, now - FIRST_RUN_LOOKBACK)
        marker = window_marker(since)
        events = [
            synthetic_event(
                topic,
                number,
                marker,
                tenant_id=tenant.fortnox_tenant_id,
                now=now,
                kind=RECONCILE_CHANGED,
            )
            async for entity in listers[topic](since - OVERLAP)
            if (number := entity_number(topic, entity)) is not None
        ]
        await _record(session_factory, recorder, tenant, events, (topic, now), window=since)
        changed[topic] = len(events)
    if context.settings.payment_status:  # payments and overdue invoices: sync/money
        linked = await linked_fortnox_ids(session_factory, installation_id, FortnoxType.INVOICE)
        async with session_factory() as session:  # a deal's earlier invoices that live again
            connection = await session.connection()
            linked |= await live_earlier_ids(connection, installation_id, FortnoxType.INVOICE)
        for batch in await money_batches(
            context.fortnox,
            linked,
            checkpoints,
            now=now,
            first_since=now - FIRST_RUN_LOOKBACK,
            overlap=OVERLAP,
        ):
            events = [
                synthetic_event(
                    "invoices",
                    number,
                    batch.marker,
                    tenant_id=tenant.fortnox_tenant_id,
                    now=now,
                    kind=RECONCILE_CHANGED,
                    event_type=batch.event_type,
                )
                for number in batch.numbers
            ]
            await _record(
                session_factory,
                recorder,
                tenant,
                events,
                (batch.checkpoint, now),
                window=batch.window,
            )
            changed[batch.checkpoint] = len(events)
    deleted: dict[str, int] = {}
    for topic, fortnox_type in _SWEPT.items():
        swept = checkpoints.get(topic + _SWEEP_SUFFIX)
        if swept is not None and now - swept < SWEEP_INTERVAL:
            continue
        present = {
            number
            async for entity in listers[topic](None)
            if (number := entity_number(topic, entity)) is not None
        }
        missing = sorted(
            await linked_fortnox_ids(session_factory, installation_id, fortnox_type) - present
        )
        events = [
            synthetic_event(
                topic,
                number,
                f"deleted:{now.date().isoformat()}",
                tenant_id=tenant.fortnox_tenant_id,
                now=now,
                kind=RECONCILE_DELETED,
            )
            for number in missing
        ]
        # no event tells of a price changed in a price list: the products are priced again
        # (not at the first sweep, just after the initial import priced them)
        reprice = (
            partial(enqueue_reprice, installation_id=installation_id)
            if topic == "articles" and swept is not None
            else None
        )
        await _record(
            session_factory,
            recorder,
            tenant,
            events,
            (topic + _SWEEP_SUFFIX, now),
            with_checkpoint=reprice,
        )
        deleted[topic] = len(events)
    return ReconcileResult(changed, deleted, now)


# --- scheduling -------------------------------------------------------------------------------


async def schedule_reconciliation(session_factory: DbSessionFactory) -> int:
    """Queue a reconcile job for every active installation; how many were queued anew."""
    return await queue_for_active_installations(
        session_factory, JobKind.FORTNOX_RECONCILE, RECONCILE_ENTITY
    )


async def run_reconcile_scheduler(
    services: Services, stop: asyncio.Event, *, interval: timedelta | None = None
) -> None:
    """Queue reconciliation every ``settings.reconcile_interval_minutes`` until ``stop``."""
    every = interval or timedelta(minutes=services.settings.reconcile_interval_minutes)
    await every_interval(
        stop, every, lambda: schedule_reconciliation(services.session_factory), "reconciliation"
    )


def register_reconcile_handler(
    registry: HandlerRegistry,
    services: Services,
    *,
    recorder: StreamRecorder = record_with_intake,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Register the ``reconcile`` job (events go to the intake unless ``recorder`` is given)."""

    async def handler(ctx: JobContext) -> ReconcileResult:
        return await reconcile_installation(services, ctx.installation_id, recorder, clock=clock)

    registry.register(JobKind.FORTNOX_RECONCILE, handler)
