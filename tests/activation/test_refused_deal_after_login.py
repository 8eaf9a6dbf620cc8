"""A deal Fortnox refused for the login's access (a 403: the scope not granted) ends ``dead``
with ``fortnox_auth_failed``. A new login is how an admin grants it, so the login requeues
every job of the installation that died that way, and the deal reaches Fortnox."""

from __future__ import annotations

from tests.activation.conftest import MovableClock
from tests.activation.test_payment_scope_login import log_in_again
from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import login_without_scope
from tests.e2e.outbound_support import (
    fortnox_list,
    job,
    link_demo_products,
    queue,
    run_now,
    win,
)
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import JobStatus


async def test_a_deal_refused_for_a_scope_is_sent_after_a_login_granting_it(
    harness: SyncHarness, clock: MovableClock
) -> None:
    await link_demo_products(harness)
    await login_without_scope(harness, "invoice")
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    deal_job = await queue(harness, "upsales.order", order_id)
    await run_now(harness)
    refused = await job(harness, deal_job)
    assert refused.status == JobStatus.DEAD
    assert (refused.last_error or "").startswith("fortnox_auth_failed:"), refused.last_error
    assert fortnox_list(harness, "invoices") == []

    async with harness.services.session_factory() as session:
        version_before = (await session.get(Installation, harness.installation_id)).version  # type: ignore[union-attr]
    await log_in_again(harness)
    async with harness.services.session_factory() as session:  # a job refused meanwhile runs again
        version_after = (await session.get(Installation, harness.installation_id)).version  # type: ignore[union-attr]
    assert version_after > version_before
    await run_now(harness)

    sent = await job(harness, deal_job)
    assert sent.status == JobStatus.DONE, sent.last_error
    (invoice,) = fortnox_list(harness, "invoices")
    assert str(invoice["DocumentNumber"]) == str((sent.result or {})["fortnox_invoice"])
