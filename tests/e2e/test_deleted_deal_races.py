"""A deal deleted in Upsales around its won deal's sync: deleted before that sync ran, never
won, deleted twice, or deleted after a sync that died between Fortnox's answer and the link.
No Fortnox document is made or changed for it, nothing is made twice, and no job is left
hanging; a document that exists is named."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import ORDER_HOOKS, jobs_of, last_order_job, queue, run_now
from tests.e2e.won_deal_support import (
    dies_before_the_link,
    earlier_creates_settle,
    first_deal_synced,
    fortnox_calls,
    hold_creates,
    invoices_of,
    new_won_deal,
    run_due,
    settling,
)
from upsales_fortnox.vocabulary import JobKind, JobStatus

_KEPT = "order_deleted_document_kept"


def _delete(harness: SyncHarness, order_id: int) -> None:
    harness.upsales.delete_entity(
        harness.demo.customer_id, "orders", order_id, user_id=harness.demo.sales_rep_user_ids[0]
    )


async def _hooks_delivered(harness: SyncHarness) -> None:
    await harness.upsales.flush_hooks()


async def test_a_deal_deleted_before_its_win_was_synced_sends_nothing(
    linked: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The win's hook and the delete's share the deal's one queued job, which finds the deal
    gone: no customer, no invoice, no Fortnox call, and no alert (nothing is left in Fortnox)."""
    harness = linked
    caplog.set_level(logging.INFO, logger="upsales_fortnox")
    harness.connect_upsales_hooks(events=ORDER_HOOKS)
    order_id = harness.demo.opportunity_id
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        order_id,
        {"stage": {"id": harness.demo.stage_won_id}, "probability": 100},
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    _delete(harness, order_id)
    await _hooks_delivered(harness)
    harness.services.fortnox_calls.clear()

    await run_now(harness)

    (job,) = await jobs_of(harness, JobKind.UPSALES_ORDER)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["reason"].startswith("order_deleted: ")
    assert fortnox_calls(harness) == {}
    assert invoices_of(harness, order_id) == []
    assert not [r for r in caplog.records if r.getMessage().startswith(_KEPT)]


async def test_a_deal_never_won_deleted_costs_no_fortnox_call(linked: SyncHarness) -> None:
    harness = linked
    harness.connect_upsales_hooks(events=ORDER_HOOKS)
    order_id = harness.demo.opportunity_id
    _delete(harness, order_id)
    await _hooks_delivered(harness)
    harness.services.fortnox_calls.clear()

    await run_now(harness)

    job = await last_order_job(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["reason"].startswith("order_deleted: ")
    assert fortnox_calls(harness) == {}


async def test_a_delete_delivered_twice_runs_one_job(linked: SyncHarness) -> None:
    """Upsales' retry of the delete's hook, after its job ran, is its same delivery: no second
    job."""
    harness = linked
    sent: list[bytes] = []
    url = f"/webhooks/upsales/{harness.installation_id}"
    headers = {"Content-Type": "application/json"}

    async def deliver(call: Any) -> httpx.Response:
        sent.append(call.content)
        return await harness.service.post(url, content=call.content, headers=headers)

    harness.upsales.register_hook_sink(deliver, events=ORDER_HOOKS)
    order_id = harness.demo.opportunity_id
    _delete(harness, order_id)
    await _hooks_delivered(harness)
    await run_now(harness)

    (content,) = sent
    again = await harness.service.post(url, content=content, headers=headers)
    await run_now(harness)

    assert again.status_code == 202, again.text
    jobs = await jobs_of(harness, JobKind.UPSALES_ORDER)
    assert [(j.entity_id, j.status) for j in jobs] == [(str(order_id), JobStatus.DONE)]


async def test_a_deal_deleted_after_its_sync_died_before_the_link_names_its_invoice(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fortnox made the invoice, the process died before linking it, and the rep deletes the
    deal: its job still tells of the invoice left in Fortnox, and makes no second."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    await dies_before_the_link(harness, monkeypatch, order_id)
    (invoice,) = invoices_of(harness, order_id)
    harness.connect_upsales_hooks(events=ORDER_HOOKS)
    _delete(harness, order_id)
    await _hooks_delivered(harness)

    await run_now(harness)

    job = await last_order_job(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    result = job.result or {}
    assert result["reason"].startswith(f"{_KEPT}: ")
    assert result["fortnox_invoice"] == str(invoice["DocumentNumber"])
    assert len(invoices_of(harness, order_id)) == 1


@pytest.mark.parametrize("lands", [True, False])
async def test_a_deal_deleted_while_its_create_may_still_land_waits_for_it(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, lands: bool
) -> None:
    """The invoice's create lost its connection before Fortnox answered, and the rep deletes
    the deal: its job waits while the create may still land, then names the invoice if it did,
    or ends as merely deleted if it did not; no second create either way, no job left waiting."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    held = hold_creates(harness, monkeypatch, count=1)
    job_id = await queue(harness, JobKind.UPSALES_ORDER, order_id)
    await harness.run_jobs()
    assert len(held) == 1 and invoices_of(harness, order_id) == []
    harness.connect_upsales_hooks(events=ORDER_HOOKS)
    _delete(harness, order_id)
    await _hooks_delivered(harness)

    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED and await settling(harness) == [order_id]
    if lands:
        await held.pop().land()
    await earlier_creates_settle(harness)
    ended = await run_due(harness, job_id)

    assert ended.status == JobStatus.DONE, ended.last_error
    result = ended.result or {}
    made = invoices_of(harness, order_id)
    assert len(made) == (1 if lands else 0)
    if lands:
        assert result["reason"].startswith(f"{_KEPT}: ")
        assert result["fortnox_invoice"] == str(made[0]["DocumentNumber"])
    else:
        assert result["reason"].startswith("order_deleted: ")
