"""The decision for a document a won deal had before it was won again (pure).

A deal won again after its document ended gets a new one, whose link takes the ended one's in
place; the ended one is kept as the deal's earlier document. Its later events:

* ended still (or again): nothing changes (the deal has its new document); it is marked ended.
* living again (its credit cancelled) while the deal's document lives: the deal has two live
  documents; nothing changes in Upsales, but it is marked live, so the cancellation of the
  deal's document leaves the deal won and gives it this one back
  (:func:`live_earlier`).
* living again while the deal's document has ended too (or it has none): it is the deal's
  document again, and the deal, lost for that, is won again (not one the sales rep had lost
  before that ending was synced).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from upsales_fortnox.domain.inbound.decide_document import Stage, UpsalesOrderState, is_lost
from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.domain.sync_settings import SyncSettings


@dataclass(frozen=True)
class EarlierPlan:
    """What the sync of an earlier document of a deal does."""

    reason: str
    mark: LinkView | None = None
    """The earlier document as it is to be kept now (its fingerprint marked ended, or not)."""
    takes_deal: LinkView | None = None
    """The link it is to take back, as the deal's document again."""
    stage: Stage | None = None
    """The stage the deal is to be put in (None: leave it)."""


def plan_earlier_document(
    earlier: LinkView,
    *,
    ended: bool,
    current: LinkView | None,
    order: UpsalesOrderState | None,
    settings: SyncSettings,
) -> EarlierPlan:
    """What to do about ``earlier``, a deal's earlier document, whose own sync finds it
    ``ended`` (cancelled, or credited in full) or not; ``current`` is the deal's link of its
    type, ``order`` the deal (None: deleted in Upsales; not read for one ``ended``)."""
    if ended:
        if earlier.document_cancelled:
            return EarlierPlan("replaced")
        marked = replace(earlier, fingerprint=cancelled_fingerprint(earlier.fingerprint))
        return EarlierPlan("replaced", mark=marked)
    if order is None:
        return EarlierPlan("upsales_order_deleted")
    live = replace(earlier, fingerprint=earlier.fingerprint_before_cancel)
    if current is not None and not current.document_cancelled:
        return EarlierPlan("beside_another", mark=live if earlier.document_cancelled else None)
    lost_by_rep = current is not None and current.found_lost  # not for the ended document
    stage = Stage.WON if is_lost(order, settings) and not lost_by_rep else None
    return EarlierPlan("cancellation_undone", takes_deal=live, stage=stage)


def live_earlier(earlier: Sequence[LinkView]) -> list[LinkView]:
    """Those of a deal's earlier documents that live as the sync last saw them, the one set
    aside last first: one of them takes the deal's link when its document ends
    (:func:`live_earlier`), once the shell has checked it lives."""
    return [link for link in earlier if not link.document_cancelled]
