"""A credit's sync retried part way (at-least-once jobs): the deal it moved to lost is still
known as moved by the sync, so the credit cancelled wins it again; and a deal whose new invoice
is cancelled while its earlier one lives again is handed back to that one on the retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, rep_loses_deal
from tests.e2e.outbound_support import link_of, queue, run_now, won_and_invoiced
from tests.e2e.test_rewon_deal_two_invoices import _probability, _two_live_invoices
from tests.e2e.won_deal_support import ProcessDied
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import UpsalesServerError
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.inbound import earlier_document_sync
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

AFTER_THE_WRITE: dict[str, Callable[[], Exception]] = {
    "lost answer": lambda: UpsalesServerError("the answer of Upsales was lost"),
    "crash": ProcessDied,
    "refused": lambda: UpsalesServerError("Upsales failed before it wrote"),
}
WRITTEN = {"lost answer": True, "crash": True, "refused": False}


async def _retries_run(harness: SyncHarness) -> None:
    """The failed jobs' retries come due and run."""
    async with harness.services.session_factory() as session:
        await session.execute(
            update(SyncJob).where(SyncJob.status == JobStatus.QUEUED).values(run_after=utcnow())
        )
        await session.commit()
    await harness.run_jobs()


def _first_order_update_fails(
    monkeypatch: pytest.MonkeyPatch, error: Callable[[], Exception], *, written: bool
) -> list[int]:
    """The next Upsales order update fails with ``error``: carried out first when ``written``
    (its answer lost, or the process ends before anything after it), else not. The ids of the
    orders whose update so failed."""
    write = UpsalesClient.update_order
    failed: list[int] = []

    async def written_then_failed(client: UpsalesClient, order_id: int, changes: Any) -> Any:
        if failed:
            return await write(client, order_id, changes)
        failed.append(order_id)
        if written:
            await write(client, order_id, changes)
        raise error()

    monkeypatch.setattr(UpsalesClient, "update_order", written_then_failed)
    return failed


@pytest.mark.parametrize("after", list(AFTER_THE_WRITE))
async def test_a_deal_moved_to_lost_by_a_retried_sync_is_won_again_when_its_credit_is_cancelled(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    """The credit's sync fails as it moves the deal to lost, the stage written or not: its retry
    finds the deal lost by the sync itself, not by the sales rep, so the credit's cancellation
    wins it again."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    invoiced = await won_and_invoiced(harness, order_id)
    await fortnox_call(harness, "PUT", f"/invoices/{invoiced}/bookkeep")
    credited = await fortnox_call(harness, "PUT", f"/invoices/{invoiced}/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])

    with monkeypatch.context() as patch:
        failed = _first_order_update_fails(patch, AFTER_THE_WRITE[after], written=WRITTEN[after])
        await feed.sync()
    assert failed == [order_id]
    await _retries_run(harness)
    assert _probability(harness, order_id) == 0
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.document_cancelled and not link.found_lost

    await fortnox_call(harness, "PUT", f"/invoices/{credit_number}/cancel")
    await feed.sync()

    assert _probability(harness, order_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == invoiced and not link.document_cancelled


@pytest.mark.parametrize("rep_lost", [False, True], ids=["won", "rep_lost"])
async def test_a_hand_back_to_the_earlier_invoice_that_failed_is_done_by_the_retry(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, rep_lost: bool
) -> None:
    """The deal's new invoice B is cancelled while its earlier invoice A lives again; the sync
    fails as it hands the deal back to A: the retry hands it back, so the deal keeps its stage
    (won, or lost by the sales rep) with A."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)
    if rep_lost:
        rep_loses_deal(harness, order_id)
    take_back = earlier_document_sync.take_deal_back
    failed: list[str] = []

    async def dies_once(*args: Any) -> None:
        if not failed:
            failed.append("take_deal_back")
            raise ProcessDied
        await take_back(*args)

    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    with monkeypatch.context() as patch:
        patch.setattr(earlier_document_sync, "take_deal_back", dies_once)
        await feed.sync()
    assert failed
    await _retries_run(harness)

    assert _probability(harness, order_id) == (0 if rep_lost else 100)
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first and not link.document_cancelled


async def test_a_hand_back_left_undone_by_an_earlier_run_is_done_by_the_next_event(
    linked: SyncHarness,
) -> None:
    """A run before the mark and the hand-back were one transaction marked B's link cancelled
    and died before the hand-back: B's next event hands the deal back to A, which lives."""
    harness = linked
    feed = EventFeed(harness)
    order_id = harness.demo.opportunity_id
    first, second = await _two_live_invoices(harness, feed)
    await fortnox_call(harness, "PUT", f"/invoices/{second}/cancel")
    feed.new_events()  # its events are lost with that run
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Link)
            .where(Link.fortnox_id == second, Link.entity == LinkEntity.ORDER.value)
            .values(fingerprint="cancelled:" + Link.fingerprint)
        )
        await session.commit()

    await queue(harness, "fortnox.invoice", second)
    await run_now(harness)

    assert _probability(harness, order_id) == 100
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == first and not link.document_cancelled
