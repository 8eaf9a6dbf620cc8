"""What an Upsales change found by the catch-up needs (pure): a job, or nothing.

An entity listed by the catch-up is queued only when its job could do something that no hook
has done already. Each rule below answers without an API call, from the listed entity and what
the database holds:

- changed before the window (``modDate`` earlier than its start): an earlier run saw it;
- an order that is not a won deal (:func:`~upsales_fortnox.domain.outbound.order_gate.order_gate`,
  the order job's own gate) and a company without a Fortnox customer (its job would skip it);
- a hook carrying this very version (same id and ``modDate``) is recorded: its job syncs it,
  unless the link shows other content synced. ``modDate`` has whole seconds, so a second change
  within the second of a hooked one shows the same version, and the hook's job may have read
  the first; queued, its job is the hook's own job when that is still to run (jobs coalesce);
- synced: a linked order whose document draft, mapped from the listed order with the links
  at hand, has the link's fingerprint (the order job would find nothing to send); a linked
  company whose synced fields are the link's (the company job's own gate).

Anything else is queued; where a rule cannot be evaluated (a product without a link, a draft
that does not map), the entity is queued and its job decides: a catch-up never skips what it
cannot prove synced.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import AccountFieldIds, company_fields_from_upsales
from upsales_fortnox.domain.outbound.decide import company_gate
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.order_gate import order_gate
from upsales_fortnox.domain.outbound.rows import UnsendableOrder, products_of_every_mode
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.upsales.models import Company, Order
from upsales_fortnox.vocabulary import FortnoxType

Version = tuple[int, datetime]
"""An entity's id and ``modDate``: one version of it."""


class Verdict(StrEnum):
    QUEUE = "queued"
    BEFORE_WINDOW = "before_window"
    NOT_WON = "not_won"
    NOT_LINKED = "not_linked"
    HOOK_RECEIVED = "hook_received"
    SYNCED = "synced"


@dataclass(frozen=True)
class OrderLinks:
    """The links a page of orders needs: by order id, by company id (customer links) and
    the article number by product id."""

    orders: Mapping[int, LinkView] = field(default_factory=dict)
    companies: Mapping[int, LinkView] = field(default_factory=dict)
    articles: Mapping[int, str] = field(default_factory=dict)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a zone is taken as UTC (as Upsales writes them)."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def version_of(record: Order | Company) -> Version | None:
    return (record.id, utc(record.modDate)) if record.modDate is not None else None


def _before(record: Order | Company, since: datetime) -> bool:
    return record.modDate is not None and utc(record.modDate) < since


def _hooked(record: Order | Company, hooked: Collection[Version]) -> bool:
    version = version_of(record)
    return version is not None and version in hooked


def products_needed(order: Order, settings: SyncSettings) -> list[int]:
    """The products whose links :func:`order_verdict` reads for this order (those of every
    bundle mode, as the order job reads them)."""
    return products_of_every_mode(order.orderRow or [])


def order_is_synced(order: Order, links: OrderLinks, settings: SyncSettings) -> bool | None:
    """Whether the order job would find the linked document as this order wants it; None when
    that cannot be told (no link or fingerprint, a draft that does not map)."""
    link = links.orders.get(order.id)
    if link is None or link.fingerprint is None or order.client is None:
        return None
    customer = links.companies.get(order.client.id)
    if customer is None:
        return None
    try:
        draft = map_order(
            order,
            fortnox_type=link.fortnox_type,
            customer_number=customer.fortnox_id,
            article_numbers=links.articles,
            bundle_mode=settings.product_bundles,
        )
    except (UnsendableOrder, ValueError):  # e.g. a product without an article: the job says
        return None
    return draft.sent_as(link.fingerprint, link.synced_fields)


def order_verdict(
    order: Order,
    *,
    since: datetime,
    links: OrderLinks,
    settings: SyncSettings,
    hooked: Collection[Version],
) -> Verdict:
    if _before(order, since):
        return Verdict.BEFORE_WINDOW
    if order_gate(order) is not None:
        return Verdict.NOT_WON
    synced = order_is_synced(order, links, settings)
    if _hooked(order, hooked) and synced is not False:
        return Verdict.HOOK_RECEIVED
    if synced:
        return Verdict.SYNCED
    return Verdict.QUEUE


def company_verdict(
    company: Company,
    *,
    since: datetime,
    link: LinkView | None,
    field_ids: AccountFieldIds | None,
    hooked: Collection[Version],
) -> Verdict:
    """``field_ids`` may be None only when ``link`` is (an unlinked company needs none)."""
    if _before(company, since):
        return Verdict.BEFORE_WINDOW
    if link is None or link.fortnox_type is not FortnoxType.CUSTOMER:
        return Verdict.NOT_LINKED
    assert field_ids is not None
    synced = company_gate(link, company_fields_from_upsales(company, field_ids)) is not None
    if _hooked(company, hooked) and (synced or link.synced_fields is None):
        return Verdict.HOOK_RECEIVED
    if synced:
        return Verdict.SYNCED
    return Verdict.QUEUE
