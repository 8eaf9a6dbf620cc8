"""The decision for a document a won deal had before it was won again (pure)."""

from __future__ import annotations

import pytest

from upsales_fortnox.domain.inbound.decide_document import Stage, UpsalesOrderState
from upsales_fortnox.domain.inbound.earlier_document_rules import (
    live_earlier,
    plan_earlier_document,
)
from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

SETTINGS = SyncSettings(won_stage=2, lost_stage=3)
LOST = UpsalesOrderState(7, 3, 0)
WON = UpsalesOrderState(7, 2, 100)
REP_LOST = UpsalesOrderState(7, 9, 0)  # a 0 % stage other than lostStage


def _link(number: str, *, ended: bool) -> LinkView:
    fingerprint = cancelled_fingerprint("fp" + number) if ended else "fp" + number
    return LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, number, fingerprint)


def test_an_earlier_document_that_ended_again_is_marked_ended_and_changes_nothing() -> None:
    plan = plan_earlier_document(
        _link("1", ended=False), ended=True, current=_link("2", ended=False), order=None,
        settings=SETTINGS,
    )  # fmt: skip
    assert plan.reason == "replaced" and plan.takes_deal is None and plan.stage is None
    assert plan.mark == _link("1", ended=True)


def test_one_ended_as_kept_needs_no_write() -> None:
    plan = plan_earlier_document(
        _link("1", ended=True), ended=True, current=None, order=None, settings=SETTINGS
    )
    assert (plan.reason, plan.mark, plan.takes_deal) == ("replaced", None, None)


def test_one_living_again_beside_the_deals_live_document_is_marked_live_only() -> None:
    plan = plan_earlier_document(
        _link("1", ended=True), ended=False, current=_link("2", ended=False), order=WON,
        settings=SETTINGS,
    )  # fmt: skip
    assert plan.reason == "beside_another"
    assert plan.mark == _link("1", ended=False)
    assert plan.takes_deal is None and plan.stage is None


@pytest.mark.parametrize(
    ("order", "stage"),
    [(LOST, Stage.WON), (WON, None), (REP_LOST, None)],
    ids=["lost", "won", "other_stage"],
)
def test_one_living_again_after_the_deals_document_ended_takes_the_deal_back(
    order: UpsalesOrderState, stage: Stage | None
) -> None:
    plan = plan_earlier_document(
        _link("1", ended=True), ended=False, current=_link("2", ended=True), order=order,
        settings=SETTINGS,
    )  # fmt: skip
    assert plan.reason == "cancellation_undone"
    assert plan.takes_deal == _link("1", ended=False)
    assert plan.stage is stage


def test_a_deleted_deal_is_left_alone() -> None:
    plan = plan_earlier_document(
        _link("1", ended=True), ended=False, current=None, order=None, settings=SETTINGS
    )
    assert (plan.reason, plan.takes_deal, plan.mark) == ("upsales_order_deleted", None, None)


def test_only_those_seen_live_are_candidates_in_their_order() -> None:
    links = [_link("3", ended=False), _link("2", ended=True), _link("1", ended=False)]
    assert [link.fortnox_id for link in live_earlier(links)] == ["3", "1"]


def test_one_living_again_leaves_a_deal_the_rep_lost_before_its_document_ended() -> None:
    current = LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "2", "cancelled:lost:fp2")
    plan = plan_earlier_document(
        _link("1", ended=True), ended=False, current=current, order=LOST, settings=SETTINGS
    )
    assert plan.takes_deal == _link("1", ended=False) and plan.stage is None
