"""A cancellation that reaches the sync while ``lostStage`` is not set (an installation whose
settings predate it) cannot move the deal anywhere: its job ends ``settings_incomplete``,
naming the setting. It is not lost: once an admin saves the settings with ``lostStage``, the
jobs that died for a missing setting run again by themselves and the deal moves to lost."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, jobs_of
from tests.e2e.outbound_support import won_and_invoiced
from tests.e2e.test_order_fields_turned_on import turn_on
from tests.e2e.test_rewon_deal import _status
from upsales_fortnox.core.texts import say
from upsales_fortnox.vocabulary import JobStatus


async def test_a_cancellation_seen_without_a_lost_stage_moves_the_deal_once_it_is_set(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    await harness.update_settings(lost_stage=None)
    orders_before = len(harness.upsales_entities("orders"))

    await (await context_of(harness)).fortnox.cancel_invoice(int(number))
    await EventFeed(harness).sync()
    (waiting,) = await jobs_of(harness, "fortnox.invoice", number)
    assert waiting.status == JobStatus.DEAD
    assert (waiting.last_error or "").startswith("settings_incomplete:")
    assert "lostStage" in (waiting.last_error or "")

    await turn_on(harness, lostStage=harness.demo.stage_lost_id)
    await harness.run_jobs()

    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None
    assert (lost["stage"]["id"], lost["probability"]) == (harness.demo.stage_lost_id, 0)
    assert len(harness.upsales_entities("orders")) == orders_before
    status = await _status(harness, order_id)
    assert status["message"] == say(
        "status.cancelled", document=say("document.invoice"), number=number
    )
