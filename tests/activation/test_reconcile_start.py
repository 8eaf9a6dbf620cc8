"""The Fortnox login starts the installation's reconciliation at the moment of activation, so a
Fortnox change made while the installation waits (paused before its first run) is found when it
resumes, however long it waited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, pending_installation, start_login
from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import InstallationStatus, JobKind


async def test_a_change_while_paused_from_activation_is_found_after_days(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    tenant = harness.fortnox.create_tenant("Ny Kund AB")
    harness.fortnox.set_consent_tenant(tenant)
    callback = await consent(harness, await start_login(harness, installation_id))
    assert (await harness.service.get(callback)).status_code == 302
    activated = clock.now

    async def set_status(status: InstallationStatus) -> None:
        async with harness.services.session_factory() as session:
            await session.execute(
                update(Installation).where(Installation.id == installation_id).values(status=status)
            )
            await session.commit()

    await set_status(InstallationStatus.PAUSED)  # before its first reconciliation
    harness.fortnox.seed(tenant, customers=[{"CustomerNumber": "501", "Name": "Väntan AB"}])
    await set_status(InstallationStatus.ACTIVE)  # resumed three days later

    resumed = activated + timedelta(days=3)
    await reconcile_installation(harness.services, installation_id, clock=lambda: resumed)

    jobs = await jobs_of(harness, JobKind.FORTNOX_CUSTOMER, "501")
    assert [job.installation_id for job in jobs] == [installation_id]
