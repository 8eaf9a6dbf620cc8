"""The decision for one Fortnox order, invoice or offer (pure).

In two steps, so the shell resolves the Upsales ids a new order needs (company, products,
user) only when they are needed:

1. :func:`plan_document` reads the document, its links and the linked Upsales orders and says
   what to do (:class:`DocumentPlan`);
2. :func:`document_commands` turns the plan, with the resolved :class:`OrderReferences` when the
   plan needs them, into commands.

Rules, in order:

* Backorders (``OrderType`` Backorder) and credit invoices never sync; a backorder linked (a
  deal won again took it for its document, ``facts.BACKORDER_KEEPS_ORDER_REFERENCE``) is that
  deal's document like any order. One that carries the outbound reference is the rest of the
  deal's order: cancelled → lost, unless another part of the deal lives (``rest_live``).
* A cancellation moves an order to lost only when nothing else of its deal lives in Fortnox,
  which the shell tells by ``rest_live``: an order invoiced in part has its rest in a backorder,
  and in the invoice made of that; while one of them lives, the deal stays won (reason
  ``rest_live``; a linked document's link is marked all the same).
* A document linked already: cancelled → its Upsales order goes to the lost stage, and the link
  is marked (:data:`~upsales_fortnox.domain.link_view.CANCELLED_DOCUMENT`; with
  :data:`~upsales_fortnox.domain.link_view.FOUND_LOST` when the order was at 0 % already, so
  that undoing the cancellation, a credit cancelled, leaves the rep's lost; before the move to
  lost, the link records it, :data:`~upsales_fortnox.domain.link_view.MOVING_TO_LOST`, so that
  a retry after the Upsales write finds the lost its own), once: a deal won
  again afterwards gets a new document, and the cancelled one's later events change nothing; an
  offer of a won deal leaves it won once Fortnox made its order of the offer (without one, the
  offer cancelled as the deal was won, it goes to lost too). One the service created itself
  (outbound reference) changes nothing else. One imported from Fortnox updates the order's
  content when its fingerprint changed (an offer only while its opportunity is open) and puts an
  order/invoice in the won stage.
* A document made from a linked one (an order from an offer, an invoice from an order) is
  linked to the same Upsales order: cancelled → lost (unless that order has another document
  of its type now, which the shell tells by ``replaced``); an opportunity it wins moves to the won
  stage with the new document's rows; an order that is won already just gets the link.
* An offer already turned into a linked order is linked to that order's Upsales order.
* A document carrying the outbound reference but no link is the service's own: never imported;
  when cancelled, the referenced Upsales order goes to the lost stage (unless it has another
  document now, which the shell tells by passing no ``outbound_order``, or by ``rest_live`` for
  a document in an order's chain).
* Otherwise a document of a module that syncs (``syncType``: ``invoice`` → invoices, ``order``
  → orders, ``order_offer`` → orders and offers) is imported: an order in the won stage
  (probability 100), or for an offer an opportunity in the offer stage. A document cancelled
  before it was first imported is imported in the lost stage, so the outcome does not depend
  on whether the sync saw it before or after the cancellation.
* An Upsales order that was deleted is not brought back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from upsales_fortnox.domain.inbound.document_changes import (
    FortnoxDocument,
    OrderReferences,
    document_number,
    document_type,
    is_cancelled,
    new_order,
    order_content,
)
from upsales_fortnox.domain.inbound.document_changes import successor as made_into
from upsales_fortnox.domain.inbound.users import SettingsIncomplete
from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.domain.references import parse_outbound_reference
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateUpsalesOrder,
    LinkTarget,
    SaveLink,
    UpdateUpsalesOrder,
)
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.upsales.models import OrderDraft, OrderStage, Ref
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, SyncType

WON_PROBABILITY: Final = 100
LOST_PROBABILITY: Final = 0

MODULE_TYPES: Final = {
    SyncType.INVOICE: frozenset({FortnoxType.INVOICE}),
    SyncType.ORDER: frozenset({FortnoxType.ORDER}),
    SyncType.ORDER_OFFER: frozenset({FortnoxType.ORDER, FortnoxType.OFFER}),
}
"""Which Fortnox documents each ``syncType`` imports into Upsales."""


class Action(StrEnum):
    SKIP = "skip"
    CREATE = "create"
    UPDATE = "update"


class Stage(StrEnum):
    WON = "won"
    LOST = "lost"
    OFFER = "offer"


@dataclass(frozen=True)
class UpsalesOrderState:
    """What the decision needs to know of an Upsales order."""

    id: int
    stage_id: int | None
    probability: int | None


@dataclass(frozen=True)
class LinkedOrder:
    """A document link and its Upsales order (None when the order was deleted in Upsales)."""

    link: LinkView
    order: UpsalesOrderState | None


@dataclass(frozen=True)
class DocumentPlan:
    action: Action
    reason: str
    order_id: int | None = None
    stage: Stage | None = None
    """The stage to put the order in (None: leave it)."""
    content: bool = False
    """Write the document's content (client, user, date, rows) to the order."""
    link: bool = False
    """Record (or refresh) this document's link to ``order_id``."""
    link_fingerprint: str | None = None
    """The fingerprint the link is recorded with when not the document's own: a cancelled
    document's mark (:data:`~upsales_fortnox.domain.link_view.CANCELLED_DOCUMENT`), or the one
    it had before it."""
    pending_link_fingerprint: str | None = None
    """The link's mark committed before the order is moved to lost, so a retry after that write
    knows the lost stage as the sync's own
    (:data:`~upsales_fortnox.domain.link_view.MOVING_TO_LOST`)."""

    @property
    def needs_references(self) -> bool:
        return self.action is Action.CREATE or self.content

    @property
    def moves_to_lost(self) -> bool:
        """A cancellation moving an existing order to lost: the shell then tells whether the
        rest of its deal lives (``rest_live``)."""
        return self.action is Action.UPDATE and self.stage is Stage.LOST


def _skip(reason: str) -> DocumentPlan:
    return DocumentPlan(Action.SKIP, reason)


def _is_won(order: UpsalesOrderState) -> bool:
    return order.probability == WON_PROBABILITY


def is_lost(order: UpsalesOrderState, settings: SyncSettings) -> bool:
    return order.probability == LOST_PROBABILITY and order.stage_id == settings.lost_stage


def _to_lost(
    order: UpsalesOrderState,
    settings: SyncSettings,
    *,
    link: bool,
    reason: str = "cancelled",
    fingerprint: str | None = None,
    ours: bool = False,
    rest_live: bool = False,
) -> DocumentPlan:
    """``link``: the document's link is marked, ``fingerprint`` behind the mark; ``ours``: the
    link records the sync moving the order to lost already (a retry), so its 0 % is the sync's."""
    found_lost = order.probability == LOST_PROBABILITY and not ours  # the rep's lost, any 0 %
    marked = cancelled_fingerprint(fingerprint, found_lost=found_lost) if link else None
    for kept, holds in (("already_lost", is_lost(order, settings)), ("rest_live", rest_live)):
        if not holds:
            continue
        if link:
            return DocumentPlan(Action.UPDATE, kept, order.id, link=True, link_fingerprint=marked)
        return _skip(kept)
    moving = link and not found_lost  # recorded first: a retry after the write knows it
    pending = cancelled_fingerprint(fingerprint, moving_to_lost=True) if moving else None
    lost = DocumentPlan(Action.UPDATE, reason, order.id, Stage.LOST, link=link)
    return replace(lost, link_fingerprint=marked, pending_link_fingerprint=pending)


def plan_document(
    document: FortnoxDocument,
    *,
    settings: SyncSettings,
    fingerprint: str,
    own: LinkedOrder | None,
    predecessor: LinkedOrder | None,
    outbound_order: UpsalesOrderState | None,
    successor: LinkedOrder | None = None,
    partial_credit: bool = False,
    replaced: bool = False,
    rest_live: bool = False,
) -> DocumentPlan:
    """What to do about a document.

    ``own`` is the document's link (if any), ``predecessor`` the link of the document it was
    made from (see :func:`~.documents.predecessor`), ``successor`` for an offer the link of the
    order made from it, ``outbound_order`` the Upsales order its outbound reference names (None
    when it has none or that order does not exist). ``partial_credit``: the credit invoice the
    invoice names leaves it live, credited for less than its total (setting
    ``creditInvoices``) or by a credit since cancelled (whatever the setting): not a
    cancellation, and an order that an earlier credit moved to the lost stage is won again.
    ``replaced``: the Upsales order ``predecessor`` names is linked to another document of this
    type (a deal won again after this one was cancelled), so this one's cancellation leaves it.
    ``rest_live``: another part of the deal lives in Fortnox (see the module's rules), so no
    cancellation moves its order to lost.
    """
    kind = document_type(document)
    cancelled = bool(document.Cancelled) if partial_credit else is_cancelled(document)
    if isinstance(document, Order) and document.is_backorder and own is None:
        if cancelled and outbound_order is not None:
            return _to_lost(
                outbound_order, settings, link=False, reason="rest_cancelled", rest_live=rest_live
            )
        return _skip("backorder")
    if isinstance(document, Invoice) and document.Credit:
        return _skip("credit_invoice")
    outbound_id = parse_outbound_reference(getattr(document, "ExternalInvoiceReference1", None))

    if own is not None:
        order = own.order
        if order is None:
            return _skip("upsales_order_deleted")
        if cancelled:
            if own.link.document_cancelled and not own.link.moving_to_lost:
                return _skip("cancellation_synced")  # the order may be won again since
            if kind is FortnoxType.OFFER and _is_won(order) and made_into(document) is not None:
                return _skip("offer_already_won")  # the deal has the order made of it
            return _to_lost(
                order,
                settings,
                link=True,
                fingerprint=own.link.fingerprint_before_cancel,
                ours=own.link.moving_to_lost,
                rest_live=rest_live,
            )
        # no longer cancelled (a full credit undone): the link is the document's again
        restored = own.link.fingerprint_before_cancel if own.link.document_cancelled else None
        if partial_credit and is_lost(order, settings):
            return DocumentPlan(
                Action.UPDATE,
                "partial_credit",
                order.id,
                None if own.link.found_lost else Stage.WON,  # the rep's lost is left
                link=own.link.document_cancelled,
                link_fingerprint=restored,
            )
        if outbound_id is not None:
            if own.link.document_cancelled:  # the deal its credit moved to lost is won again
                return DocumentPlan(
                    Action.UPDATE,
                    "cancellation_undone",
                    order.id,
                    Stage.WON if is_lost(order, settings) and not own.link.found_lost else None,
                    link=True,
                    link_fingerprint=restored,
                )
            return _skip("own_document")
        if own.link.fingerprint == fingerprint:
            return _skip("unchanged")
        if kind is FortnoxType.OFFER:
            if order.probability in (WON_PROBABILITY, LOST_PROBABILITY):
                return _skip("opportunity_closed")
            return DocumentPlan(Action.UPDATE, "changed", order.id, content=True, link=True)
        stage = None if _is_won(order) else Stage.WON
        return DocumentPlan(Action.UPDATE, "changed", order.id, stage, content=True, link=True)

    if predecessor is not None:
        order = predecessor.order
        if order is None:
            return _skip("upsales_order_deleted")
        if cancelled:
            if replaced:
                return _skip("replaced")
            return _to_lost(
                order, settings, link=True, fingerprint=fingerprint, rest_live=rest_live
            )
        if _is_won(order):
            return DocumentPlan(Action.UPDATE, "linked_to_won_order", order.id, link=True)
        return DocumentPlan(Action.UPDATE, "won", order.id, Stage.WON, content=True, link=True)

    if successor is not None and kind is FortnoxType.OFFER:
        if successor.order is None:
            return _skip("upsales_order_deleted")
        return DocumentPlan(Action.UPDATE, "linked_to_order", successor.order.id, link=True)

    if outbound_id is not None:
        if cancelled and outbound_order is not None:
            return _to_lost(
                outbound_order,
                settings,
                link=False,
                reason="own_document_cancelled",
                rest_live=rest_live,
            )
        return _skip("own_document")
    if kind not in MODULE_TYPES[settings.sync_type]:
        return _skip("module_not_synced")
    if cancelled:
        return DocumentPlan(Action.CREATE, "new_cancelled", stage=Stage.LOST, link=True)
    stage = Stage.OFFER if kind is FortnoxType.OFFER else Stage.WON
    return DocumentPlan(Action.CREATE, "new", stage=stage, link=True)


def stage_setting(stage: Stage, settings: SyncSettings) -> int:
    """The Upsales stage id the settings give for ``stage``."""
    names = {Stage.WON: "wonStage", Stage.LOST: "lostStage", Stage.OFFER: "offerStage"}
    value = {
        Stage.WON: settings.won_stage,
        Stage.LOST: settings.lost_stage,
        Stage.OFFER: settings.offer_stage,
    }[stage]
    if value is None:
        raise SettingsIncomplete(f"the setting {names[stage]} is not set")
    return value


DEFAULT_OFFER_PROBABILITY: Final = 50
"""An offer's opportunity probability when the offer stage has none between 1 and 99 (0 and
100 are lost and won: an open offer is neither)."""


def offer_probability(stages: Iterable[OrderStage], offer_stage: int | None) -> int:
    """The probability an offer's opportunity takes: its stage's, else the default."""
    for stage in stages:
        if stage.id == offer_stage and stage.probability is not None:
            if LOST_PROBABILITY < stage.probability < WON_PROBABILITY:
                return stage.probability
            break
    return DEFAULT_OFFER_PROBABILITY


def stage_probability(stage: Stage, offer_probability: int) -> int:
    if stage is Stage.WON:
        return WON_PROBABILITY
    if stage is Stage.LOST:
        return LOST_PROBABILITY
    return offer_probability


def document_commands(
    plan: DocumentPlan,
    document: FortnoxDocument,
    *,
    settings: SyncSettings,
    fingerprint: str,
    refs: OrderReferences | None,
    offer_probability: int,
    today: dt.date,
) -> list[Command]:
    """The commands that carry out ``plan``. ``refs`` is required when
    ``plan.needs_references``; ``offer_probability`` is the offer stage's probability."""
    if plan.action is Action.SKIP:
        return []
    if plan.needs_references and refs is None:
        raise ValueError("the plan needs the order's references")
    kind = document_type(document)
    number = document_number(document)
    if plan.action is Action.CREATE:
        assert refs is not None and plan.stage is not None
        draft = new_order(
            document,
            refs,
            stage_id=stage_setting(plan.stage, settings),
            probability=stage_probability(plan.stage, offer_probability),
            today=today,
        )
        return [CreateUpsalesOrder(draft, LinkTarget(LinkEntity.ORDER, kind, number, fingerprint))]
    assert plan.order_id is not None
    changes = OrderDraft()
    if plan.content:
        assert refs is not None
        changes = order_content(document, refs, today=today)
    if plan.stage is not None:
        changes.stage = Ref(id=stage_setting(plan.stage, settings))
        changes.probability = stage_probability(plan.stage, offer_probability)
    commands: list[Command] = []
    if changes.model_fields_set:
        if (pending := plan.pending_link_fingerprint) is not None:  # committed first
            commands.append(SaveLink(LinkEntity.ORDER, plan.order_id, kind, number, pending))
        commands.append(UpdateUpsalesOrder(plan.order_id, changes))
    if plan.link:
        linked_as = plan.link_fingerprint or fingerprint
        commands.append(SaveLink(LinkEntity.ORDER, plan.order_id, kind, number, linked_as))
    return commands
