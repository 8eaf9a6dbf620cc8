"""The harness's installation can reach both sandboxes with its stored credentials."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from upsales_fortnox.sync.context import installation_context


async def test_the_installation_reads_both_sandboxes(harness: SyncHarness) -> None:
    context = await installation_context(harness.services, harness.installation_id)
    company = await context.fortnox.get_company_information()
    assert str(company.DatabaseNumber) == str(harness.tenant_id)
    stages = await context.upsales.list_order_stages()
    assert harness.demo.stage_won_id in {stage.id for stage in stages}
    assert await harness.run_jobs() == 0
