"""The operator on call is alerted for a deal that died, and no more once the deal is settled:
here the sales rep deleted the deal in Upsales after its sync died for want of a Fortnox
article. Its dead job stays in the list, marked settled; the alert resolves."""

from __future__ import annotations

import httpx
import respx

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import last_order_job, run_now, sync_order, win
from upsales_fortnox.ops.alert_delivery import AlertSender, check_alerts
from upsales_fortnox.ops.repository.queue_reads import dead_jobs
from upsales_fortnox.vocabulary import JobStatus

ALERT_URL = "https://alerts.example.test/hooks/on-call"


async def test_a_dead_deal_deleted_by_the_rep_resolves_its_alert(harness: SyncHarness) -> None:
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    dead = await sync_order(harness, order_id)
    assert dead.status == JobStatus.DEAD
    assert (dead.last_error or "").startswith("product_not_in_fortnox:")
    sender = AlertSender(harness.services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await check_alerts(harness.services, sender) == 1
        raised = route.calls[-1].request.content.decode()
        assert '"event":"raised"' in raised.replace(" ", "")
        assert "dead_jobs" in raised

        harness.upsales.delete_entity(
            harness.demo.customer_id, "orders", order_id, user_id=harness.demo.sales_rep_user_ids[0]
        )
        await sync_order(harness, order_id)  # the delete hook's job
        await run_now(harness)
        settled = await last_order_job(harness, order_id)
        assert settled.status == JobStatus.DONE and settled.id != dead.id
        assert (settled.result or {})["outcome"] == "skipped"

        assert await check_alerts(harness.services, sender) == 1
        resolved = route.calls[-1].request.content.decode()
        assert '"event":"resolved"' in resolved.replace(" ", "")
    async with harness.services.session_factory() as session:
        listed = {row.job.id: row.settled for row in await dead_jobs(session, 10)}
    assert listed == {dead.id: True}
