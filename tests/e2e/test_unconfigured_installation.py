"""An installation whose settings were never saved (logged in to Fortnox, the app's settings
not chosen yet, as after a reinstall) sends nothing to Fortnox and writes nothing to Upsales:
its jobs wait, uncounted, and run with the settings once the admin has chosen them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import make_transient

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, link_demo_products, queue, win
from tests.e2e.test_hook_references import post_hook
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.texts import say
from upsales_fortnox.models.installation import InstallationSettings
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.context import NOT_CONFIGURED_RETRY_SECONDS
from upsales_fortnox.vocabulary import JobStatus


async def _forget_settings(harness: SyncHarness) -> InstallationSettings:
    async with harness.services.session_factory() as session:
        saved = await session.scalar(select(InstallationSettings))
        assert saved is not None
        session.expunge(saved)
        make_transient(saved)  # to be inserted again as the admin's choice
        await session.execute(delete(InstallationSettings))
        await session.commit()
    return saved


async def _run_due_now(harness: SyncHarness) -> None:
    """Time passes: the queued jobs are due, and run."""
    async with harness.services.session_factory() as session:
        await session.execute(update(SyncJob).values(run_after=utcnow()))
        await session.commit()
    await harness.run_jobs()


async def test_a_won_deal_waits_for_the_settings_and_goes_with_them(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    saved = await _forget_settings(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    order_job = await queue(harness, "upsales.order", order_id)

    await harness.run_jobs()
    await _run_due_now(harness)

    assert harness.fortnox_entity("invoices", 1) is None
    assert harness.fortnox_entity("orders", 1) is None
    waiting = await job(harness, order_job)
    assert waiting.status == JobStatus.QUEUED, waiting.last_error
    assert waiting.attempts == 0
    assert (waiting.last_error or "").startswith("installation_not_configured:")
    status = await post_hook(harness, "app_status_order", {"obj": {"id": order_id}})
    assert (status.status_code, status.json()["status"]) == (200, "waiting"), status.text
    assert status.json()["message"] == say("status.waiting_for_settings", "sv")

    async with harness.services.session_factory() as session:
        session.add(saved)
        await session.commit()
    await _run_due_now(harness)

    sent = await job(harness, order_job)
    assert sent.status == JobStatus.DONE, sent.last_error
    assert harness.fortnox_entity("invoices", (sent.result or {})["fortnox_invoice"])


async def test_saving_the_settings_sends_the_waiting_deal_at_once(harness: SyncHarness) -> None:
    """The waiting jobs look again only now and then (``NOT_CONFIGURED_RETRY_SECONDS``); the
    admin's first save of the settings makes them due at once."""
    await link_demo_products(harness)
    url = f"/api/installations/{harness.installation_id}/settings"
    chosen = await harness.service.get(url, headers=harness.admin_headers)
    assert chosen.status_code == 200, chosen.text
    await _forget_settings(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    order_job = await queue(harness, "upsales.order", order_id)
    await harness.run_jobs()
    waiting = await job(harness, order_job)
    assert (waiting.last_error or "").startswith("installation_not_configured:")
    assert waiting.run_after > utcnow() + timedelta(seconds=NOT_CONFIGURED_RETRY_SECONDS / 2)

    unsaved = await harness.service.get(url, headers=harness.admin_headers)
    saved = await harness.service.put(
        url,
        json=chosen.json(),
        headers={**harness.admin_headers, "If-Match": unsaved.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text
    await harness.run_jobs()  # no time passes

    sent = await job(harness, order_job)
    assert sent.status == JobStatus.DONE, sent.last_error
    assert harness.fortnox_entity("invoices", (sent.result or {})["fortnox_invoice"])
