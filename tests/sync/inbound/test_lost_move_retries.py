"""A cancellation's move of a deal to the lost stage, retried: the link records the move before
the Upsales write, so a retry after that write (its answer lost, a crash before the link's mark)
knows the lost stage as the sync's own, not the sales rep's."""

from __future__ import annotations

import pytest

from tests.sync.inbound.test_inbound_documents import (
    LOST,
    commands,
    invoice,
    linked,
    plan,
    state,
)
from upsales_fortnox.domain.inbound.decide_document import Stage
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.sync_commands import SaveLink, UpdateUpsalesOrder
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

CREDITED = {"CreditInvoiceReference": "900", "ExternalInvoiceReference1": "upsales-order:50"}


def _save(fingerprint: str, number: str = "123") -> SaveLink:
    return SaveLink(LinkEntity.ORDER, 50, FortnoxType.INVOICE, number, fingerprint)


def test_the_move_to_lost_is_recorded_on_the_link_before_the_upsales_write() -> None:
    document = invoice(**CREDITED)
    the_plan = plan(document, own=linked(FortnoxType.INVOICE, "123", state(), fp="f1"))
    pending, update, done = commands(document, the_plan)
    assert pending == _save("cancelled:lose:f1")
    assert isinstance(update, UpdateUpsalesOrder)
    assert update.changes.to_wire() == {"stage": {"id": LOST}, "probability": 0}
    assert done == _save("cancelled:f1")


def test_a_pending_move_counts_as_the_sync_cancelling_the_document() -> None:
    view = LinkView(LinkEntity.ORDER, 50, FortnoxType.INVOICE, "123", "cancelled:lose:f1")
    assert view.document_cancelled and view.moving_to_lost and not view.found_lost
    assert view.fingerprint_before_cancel == "f1"


def test_a_retry_after_the_upsales_write_marks_the_lost_as_the_syncs_own() -> None:
    """The write reached Upsales (its answer lost): the deal reads lost, by the sync."""
    document = invoice(**CREDITED)
    own = linked(FortnoxType.INVOICE, "123", state(50, LOST, 0), fp="cancelled:lose:f1")
    the_plan = plan(document, own=own)
    assert the_plan.reason == "already_lost" and the_plan.stage is None
    assert commands(document, the_plan) == [_save("cancelled:f1")]


def test_a_retry_before_the_upsales_write_moves_the_deal_to_lost() -> None:
    document = invoice(**CREDITED)
    own = linked(FortnoxType.INVOICE, "123", state(), fp="cancelled:lose:f1")
    the_plan = plan(document, own=own)
    assert the_plan.stage is Stage.LOST
    pending, update, done = commands(document, the_plan)
    assert (pending, done) == (_save("cancelled:lose:f1"), _save("cancelled:f1"))
    assert isinstance(update, UpdateUpsalesOrder)


@pytest.mark.parametrize("partial_credit", [False, True])
def test_the_credit_cancelled_before_the_retry_wins_the_deal_back(partial_credit: bool) -> None:
    """The sync moved the deal to lost and died before the mark; the credit is cancelled before
    the retry: the lost was the sync's, so the deal is won again."""
    document = invoice(ExternalInvoiceReference1="upsales-order:50")
    own = linked(FortnoxType.INVOICE, "123", state(50, LOST, 0), fp="cancelled:lose:f1")
    the_plan = plan(document, own=own, partial_credit=partial_credit)
    assert the_plan.stage is Stage.WON
    update, save = commands(document, the_plan)
    assert isinstance(update, UpdateUpsalesOrder) and save == _save("f1")


def test_a_deal_the_rep_lost_needs_no_pending_mark() -> None:
    """At 0 % before the credit (the rep's lost): a retry finds it at 0 % too."""
    document = invoice(**CREDITED)
    own = linked(FortnoxType.INVOICE, "123", state(50, 9, 0), fp="f1")
    update, save = commands(document, plan(document, own=own))
    assert isinstance(update, UpdateUpsalesOrder) and save == _save("cancelled:lost:f1")


def test_an_invoice_of_a_linked_order_records_its_move_to_lost_first() -> None:
    """Cancelled as first seen: its link is made with the move recorded, before the write."""
    document = invoice(OrderReference="45", Cancelled=True)
    the_plan = plan(document, predecessor=linked(FortnoxType.ORDER, "45", state()))
    pending, update, done = commands(document, the_plan)
    assert pending.fingerprint is not None and pending.fingerprint.startswith("cancelled:lose:")
    assert isinstance(update, UpdateUpsalesOrder)
    assert done.fingerprint == pending.fingerprint.replace("lose:", "", 1)
