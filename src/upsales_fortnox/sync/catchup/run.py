"""One catch-up run for one installation: the Upsales changes no hook brought in.

Upsales may never repeat a hook that reached us while we were down (whether it retries is not
documented), so the ``upsales.reconcile`` job lists the won orders and the accounts changed
since the topic's checkpoint, minus :data:`OVERLAP`, and feeds the intake one event per change
whose job has work to do (:mod:`.decide`; what is synced already costs no call). Its dedupe key
``reconcile:{entity}:{id}:{modDate}`` names the version, so overlapping windows and repeated
runs record each version once, and its job coalesces with a queued hook job of the entity.

Paging is Upsales' advised export (``sort=id&id=gt:<last id>``, 2000 rows a page, one list call
a page) under a ``modDate=gte:`` filter. Keying pages by id rather than by ``modDate`` leaves no
boundary between rows of equal ``modDate`` to get wrong, and does not depend on ``modDate``
sorting reliably (the reference warns that not every field does). A row changed while the run
pages may be passed over, but its new ``modDate`` is later than the run's start, which becomes
the checkpoint, so the next run lists it. :data:`OVERLAP` covers Upsales' clock running behind
ours and writes committed late.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

from pydantic import TypeAdapter, ValidationError

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.catchup import (
    Verdict,
    Version,
    company_verdict,
    order_verdict,
    products_needed,
    utc,
    version_of,
)
from upsales_fortnox.domain.outbound.company import AccountFieldIds
from upsales_fortnox.domain.outbound.order_gate import WON_PROBABILITY
from upsales_fortnox.intake.deliveries import EventsOf, NewEvent
from upsales_fortnox.intake.repository.record import record_events
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.upsales.client import MAX_PAGE_SIZE
from upsales_fortnox.integrations.upsales.errors import UpsalesBadRequest
from upsales_fortnox.integrations.upsales.facts import MOD_DATE_TIMESTAMP_FORMAT
from upsales_fortnox.integrations.upsales.filters import Filter, eq, gte
from upsales_fortnox.integrations.upsales.models import Company, Order, Record
from upsales_fortnox.jobs import JobContext
from upsales_fortnox.links.repository.link_reads import company_links, order_links
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.checkpoints import (
    ACCOUNTS_TOPIC,
    ORDERS_TOPIC,
    first_run_start,
    load_checkpoints,
)
from upsales_fortnox.sync.context import InstallationContext, installation_context
from upsales_fortnox.sync.outbound.custom_fields import account_field_ids
from upsales_fortnox.sync.repository.hook_reads import hooked_mod_dates
from upsales_fortnox.sync.repository.reconcile_checkpoints import save_checkpoint
from upsales_fortnox.sync.results.periodic import CatchUpResult, TopicCatchUp
from upsales_fortnox.vocabulary import EventSource, JobKind, LinkEntity

OVERLAP: Final = timedelta(minutes=2)
HOOK_MARGIN: Final = timedelta(hours=1)
"""Hooks received this long before the window may still carry a version in it (clock skew)."""
PAGE_SIZE: Final = MAX_PAGE_SIZE

R = TypeVar("R", bound=Record)
Lister = Callable[..., AsyncIterator[R]]


def mod_date_filters(since: datetime) -> tuple[Filter, Filter]:
    """``modDate=gte:`` as a timestamp in Upsales' own format, and as a date.

    Whether ``modDate`` compares a full timestamp is not settled
    (:data:`upsales_fortnox.integrations.upsales.facts.MOD_DATE_TIMESTAMP_FORMAT`). The timestamp is
    sent first (cut to the second, which only widens the window); if Upsales refuses it, the date
    (the whole day, a wider window) is sent instead: rows listed from before the window then
    count as ``before_window`` and cost nothing more.
    """
    moment = since.astimezone(UTC)
    stamp = moment.strftime(MOD_DATE_TIMESTAMP_FORMAT)
    return gte("modDate", stamp), gte("modDate", moment.date())


async def changed_since(
    lister: Lister[R], since: datetime, *filters: Filter
) -> AsyncIterator[list[R]]:
    """Pages of the records changed since ``since`` (see :func:`mod_date_filters`)."""
    for attempt, mod_date in enumerate(mod_date_filters(since)):
        page: list[R] = []
        started = False
        try:
            async for record in lister(mod_date, *filters, page_size=PAGE_SIZE):
                started = True
                page.append(record)
                if len(page) == PAGE_SIZE:
                    yield page
                    page = []
        except UpsalesBadRequest:
            if started or attempt > 0:
                raise
            continue
        if page:
            yield page
        return


def _key_moment(record: Order | Company, since: datetime) -> str:
    version = version_of(record)
    if version is None:
        return f"window:{since.isoformat()}"
    return version[1].isoformat()


def found_event(entity: LinkEntity, record: Order | Company, since: datetime) -> NewEvent:
    """The intake event of a change the catch-up found."""
    is_order = entity is LinkEntity.ORDER
    name = "order" if is_order else "client"
    moment = _key_moment(record, since)
    return NewEvent(
        source=EventSource.UPSALES.value,
        dedupe_key=f"reconcile:{entity.value}:{record.id}:{moment}",
        event_type=f"reconcile_{name}",
        entity_type=entity.value,
        entity_id=str(record.id),
        payload={"reconcile": {"entity": name, "id": record.id, "modDate": moment}},
        job_kind=JobKind.UPSALES_ORDER if is_order else JobKind.UPSALES_COMPANY,
    )


_MOMENT: TypeAdapter[datetime] = TypeAdapter(datetime)


def _moment(text: str | None) -> datetime | None:
    """The moment a hook's ``modDate`` names in UTC; None when it names none (a hook is a hint:
    the intake takes it as sent, ``0001-01-01T00:00:00+14:00`` too, which UTC cannot hold)."""
    if text is None:
        return None
    try:
        return utc(_MOMENT.validate_python(text))
    except (ValidationError, OverflowError):
        return None


async def hooked_versions(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    entity: LinkEntity,
    ids: Collection[int],
    received_since: datetime,
) -> set[Version]:
    """The versions of these entities that recorded hooks carried (their ``data.object``'s
    ``modDate``; a hook without one matches nothing)."""
    if not ids:
        return set()
    found: set[Version] = set()
    hooked = await hooked_mod_dates(session_factory, installation_id, entity, ids, received_since)
    for entity_id, text in hooked:
        moment = _moment(text)
        number = parse_digits(entity_id) if entity_id is not None else None
        if moment is not None and number is not None:
            found.add((number, moment))
    return found


async def record_found(
    session_factory: DbSessionFactory, installation_id: uuid.UUID, events: Sequence[NewEvent]
) -> int:
    """Record the events and queue their jobs (one transaction) through the intake, the same
    writer and dedupe as hooks; how many were new."""
    if not events:
        return 0
    async with session_factory() as session:
        (results,) = await record_events(
            await session.connection(), [EventsOf(installation_id, events)]
        )
        await session.commit()
    return sum(result.status == "accepted" for result in results)


def _zero_counts() -> Counter[str]:
    names = [*(verdict.value for verdict in Verdict), "listed", "recorded"]
    return Counter(dict.fromkeys(names, 0))


async def _orders(
    services: Services, context: InstallationContext, since: datetime
) -> Counter[str]:
    counts = _zero_counts()
    installation_id = context.installation_id
    settings = context.settings
    won = eq("probability", WON_PROBABILITY)
    async for page in changed_since(context.upsales.iterate_orders, since, won):
        links = await order_links(
            services.session_factory,
            installation_id,
            order_ids={order.id for order in page},
            company_ids={order.client.id for order in page if order.client is not None},
            product_ids={p for order in page for p in products_needed(order, settings)},
        )
        hooked = await hooked_versions(
            services.session_factory,
            installation_id,
            LinkEntity.ORDER,
            {order.id for order in page},
            since - HOOK_MARGIN,
        )
        events = []
        for order in page:
            verdict = order_verdict(
                order, since=since, links=links, settings=settings, hooked=hooked
            )
            counts[verdict.value] += 1
            if verdict is Verdict.QUEUE:
                events.append(found_event(LinkEntity.ORDER, order, since))
        counts["recorded"] += await record_found(services.session_factory, installation_id, events)
        counts["listed"] += len(page)
    return counts


async def _accounts(
    services: Services, context: InstallationContext, since: datetime
) -> Counter[str]:
    counts = _zero_counts()
    installation_id = context.installation_id
    field_ids: AccountFieldIds | None = None
    async for page in changed_since(context.upsales.iterate_companies, since):
        ids = {company.id for company in page}
        links = await company_links(services.session_factory, installation_id, ids)
        hooked = await hooked_versions(
            services.session_factory,
            installation_id,
            LinkEntity.COMPANY,
            set(links),
            since - HOOK_MARGIN,
        )
        if links and field_ids is None:
            field_ids = await account_field_ids(
                services.session_factory, installation_id, context.upsales
            )
        events = []
        for company in page:
            verdict = company_verdict(
                company,
                since=since,
                link=links.get(company.id),
                field_ids=field_ids,
                hooked=hooked,
            )
            counts[verdict.value] += 1
            if verdict is Verdict.QUEUE:
                events.append(found_event(LinkEntity.COMPANY, company, since))
        counts["recorded"] += await record_found(services.session_factory, installation_id, events)
        counts["listed"] += len(page)
    return counts


async def catch_up_installation(
    services: Services,
    installation_id: uuid.UUID,
    *,
    job: JobContext | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> CatchUpResult:
    """One run: each topic's changes since its checkpoint; the checkpoint moves to the run's
    start once the topic is listed to the end. The job result counts the verdicts."""
    context = await installation_context(services, installation_id, job)
    now = clock()
    checkpoints = await load_checkpoints(services.session_factory, installation_id)
    topics: dict[str, TopicCatchUp] = {}
    for topic, name, scan in (
        (ORDERS_TOPIC, "orders", _orders),
        (ACCOUNTS_TOPIC, "accounts", _accounts),
    ):
        start = checkpoints.get(topic)
        if start is None:
            start = await first_run_start(services.session_factory, installation_id, now)
        since = start - OVERLAP
        counts = await scan(services, context, since)
        async with services.session_factory() as session:
            await save_checkpoint(session, installation_id, topic, now)
            await session.commit()
        topics[name] = TopicCatchUp(since, dict(counts))
    return CatchUpResult(now, topics["orders"], topics["accounts"])
