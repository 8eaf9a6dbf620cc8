"""What each Fortnox change event means to us, by its type (not only its topic).

The one place that reads Fortnox event types. The HTTP endpoint, the WebSocket consumer and
reconciliation all record events through :func:`classify`, so they agree.

Event types (reference fortnox.md §6, from net WebSocketEventType.cs and the docs' websockets
page) and what becomes of them:

- customers, articles, orders, offers, invoices: created, updated (customers: ``-v2``, the
  current version, and the older ``-v1``), deleted/cancelled: a sync job of that entity,
  ``entityId`` = its number.
- ``invoicepayment-bookkeep-v1``: ``entityId`` is the *payment's* number (docs: websockets
  example). It queues a ``fortnox.invoicepayment`` job, which reads the payment
  (``GET /3/invoicepayments/{Number}``) and syncs the invoice it pays (``InvoiceNumber``); never
  an invoice job for the payment's number.
- ``invoicepayment-deleted-v1``: a ``fortnox.invoicepayment_deleted`` job. A deleted payment
  can no longer be read, and its number does not say which invoice it paid (``GET
  /3/invoicepayments`` filters by ``invoicenumber``, which is what we would be looking for); the
  job finds the invoice in our own record of the payment's bookkeeping job and re-syncs it
  (:mod:`upsales_fortnox.sync.money.deleted_payment`). The invoice's own events and
  reconciliation by ``lastmodified`` catch it too
  (:data:`~upsales_fortnox.integrations.fortnox.facts.PAYMENT_DELETION_TOUCHES_INVOICE`).
- ``invoice-bookkeep-v1`` and ``reminder-sent-v1``: an invoice sync with ``entityId`` taken as
  the invoice's number (:data:`~upsales_fortnox.integrations.fortnox.facts.INVOICE_NUMBER_EVENTS`).
- Reconciliation's own events (``{entity}-changed``, ``{entity}-deleted``, see
  :mod:`upsales_fortnox.sync.reconcile`): a sync of that entity.
- Any other type on these topics (a version we do not know yet, ``offer-…`` types added later):
  recorded and acknowledged, no job; logged so an operator notices. Syncing it as its topic's
  entity could sync the wrong document (as a payment number would), and reconciliation catches
  a real change the type hides.
- Other topics (currencies, vouchers, …): acknowledged, not stored (we do not follow them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.integrations.fortnox.facts import INVOICE_NUMBER_EVENTS
from upsales_fortnox.integrations.fortnox.limits import (
    MAX_ARTICLE_NUMBER_LENGTH,
    MAX_CUSTOMER_NUMBER_LENGTH,
)
from upsales_fortnox.vocabulary import FortnoxType, JobKind

logger = logging.getLogger(__name__)

INVOICE_PAYMENT_ENTITY: Final = "invoicepayment"
"""``entity_type`` of a recorded payment event (its ``entityId`` is the payment's number)."""

PAYMENT_BOOKKEPT: Final = "invoicepayment-bookkeep-v1"
"""A payment's bookkeeping (reconciliation feeds it too, for a payment it finds)."""


@dataclass(frozen=True)
class EventUse:
    """What an event of one type becomes: the entity its ``entityId`` names, and the job that
    syncs it (``None``: recorded and acknowledged, no job)."""

    entity: str
    job_kind: str | None


_CUSTOMER: Final = EventUse(FortnoxType.CUSTOMER.value, JobKind.FORTNOX_CUSTOMER)
_ARTICLE: Final = EventUse(FortnoxType.ARTICLE.value, JobKind.FORTNOX_ARTICLE)
_ORDER: Final = EventUse(FortnoxType.ORDER.value, JobKind.FORTNOX_ORDER)
_INVOICE: Final = EventUse(FortnoxType.INVOICE.value, JobKind.FORTNOX_INVOICE)
_OFFER: Final = EventUse(FortnoxType.OFFER.value, JobKind.FORTNOX_OFFER)
_PAYMENT: Final = EventUse(INVOICE_PAYMENT_ENTITY, JobKind.FORTNOX_INVOICE_PAYMENT)
_PAYMENT_RECORDED: Final = EventUse(INVOICE_PAYMENT_ENTITY, None)
_PAYMENT_DELETED: Final = EventUse(INVOICE_PAYMENT_ENTITY, JobKind.FORTNOX_INVOICE_PAYMENT_DELETED)

#: Topics we follow, and the entity of an event of a type we do not use there.
TOPIC_ENTITIES: Final[dict[str, str]] = {
    "customers": FortnoxType.CUSTOMER.value,
    "articles": FortnoxType.ARTICLE.value,
    "orders": FortnoxType.ORDER.value,
    "invoices": FortnoxType.INVOICE.value,
    "offers": FortnoxType.OFFER.value,
}

#: Fortnox's event types, by topic and type.
EVENT_TYPES: Final[dict[tuple[str, str], EventUse]] = {
    ("customers", "customer-created-v1"): _CUSTOMER,
    ("customers", "customer-updated-v1"): _CUSTOMER,
    ("customers", "customer-updated-v2"): _CUSTOMER,
    ("customers", "customer-deleted-v1"): _CUSTOMER,
    ("articles", "article-created-v1"): _ARTICLE,
    ("articles", "article-updated-v1"): _ARTICLE,
    ("articles", "article-deleted-v1"): _ARTICLE,
    ("orders", "order-created-v1"): _ORDER,
    ("orders", "order-updated-v1"): _ORDER,
    ("orders", "order-cancelled-v1"): _ORDER,
    ("offers", "offer-created-v1"): _OFFER,
    ("offers", "offer-updated-v1"): _OFFER,
    ("offers", "offer-canceled-v1"): _OFFER,
    ("invoices", "invoice-created-v1"): _INVOICE,
    ("invoices", "invoice-updated-v1"): _INVOICE,
    ("invoices", "invoice-cancelled-v1"): _INVOICE,
    **{("invoices", event): _INVOICE for event in INVOICE_NUMBER_EVENTS},
    ("invoices", PAYMENT_BOOKKEPT): _PAYMENT,
    ("invoices", "invoicepayment-deleted-v1"): _PAYMENT_DELETED,
}

RECONCILE_CHANGED: Final = "changed"
RECONCILE_DELETED: Final = "deleted"


def reconcile_event_type(topic: str, change: str) -> str:
    """The type of a reconciliation event (``invoice-changed``, ``customer-deleted``)."""
    return f"{TOPIC_ENTITIES[topic]}-{change}"


_RECONCILE_TYPES: Final[dict[tuple[str, str], EventUse]] = {
    (topic, reconcile_event_type(topic, change)): EventUse(entity, job_kind)
    for topic, entity in TOPIC_ENTITIES.items()
    for change in (RECONCILE_CHANGED, RECONCILE_DELETED)
    for job_kind in [EVENT_TYPES[(topic, f"{entity}-created-v1")].job_kind]
}


def is_followed_topic(topic: str) -> bool:
    """Whether we store the events of ``topic`` (the others are acknowledged and dropped)."""
    return topic in TOPIC_ENTITIES


def longest_entity_id(topic: str) -> int:
    """How long an event's ``entityId`` on a followed ``topic`` may be: a customer's number as
    long as Fortnox allows, any other (an article's, a document's or a payment's) no longer
    than an article number."""
    if TOPIC_ENTITIES.get(topic) == FortnoxType.CUSTOMER.value:
        return MAX_CUSTOMER_NUMBER_LENGTH
    return MAX_ARTICLE_NUMBER_LENGTH


DOCUMENT_JOBS: Final = frozenset(
    {JobKind.FORTNOX_ORDER.value, JobKind.FORTNOX_INVOICE.value, JobKind.FORTNOX_OFFER.value}
)


def names_document(topic: str, event_type: str) -> bool:
    """Whether the event's ``entityId`` is an order's, invoice's or offer's document number (a
    job syncs that document), as opposed to a payment's or a customer's number."""
    known = EVENT_TYPES.get((topic, event_type)) or _RECONCILE_TYPES.get((topic, event_type))
    return known is not None and known.job_kind in DOCUMENT_JOBS


def classify(topic: str, event_type: str) -> EventUse | None:
    """What an event becomes; ``None`` for a topic we do not follow (not stored)."""
    known = EVENT_TYPES.get((topic, event_type)) or _RECONCILE_TYPES.get((topic, event_type))
    if known is not None:
        return known
    entity = TOPIC_ENTITIES.get(topic)
    if entity is None:
        return None
    logger.warning("unknown Fortnox event type %r on topic %r: recorded only", event_type, topic)
    if event_type.startswith(INVOICE_PAYMENT_ENTITY + "-"):
        return _PAYMENT_RECORDED
    return EventUse(entity, None)
