"""An installation an operator paused stays paused when its Fortnox login dies and someone logs
in again: only the operator resumes it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, snapshot, start_login
from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.ops.token_keeper import keep_tokens_alive
from upsales_fortnox.vocabulary import InstallationStatus


async def test_a_paused_installation_whose_login_was_refused_stays_paused_after_a_new_login(
    harness: SyncHarness, clock: MovableClock
) -> None:
    services = harness.services
    async with services.session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == harness.installation_id)
            .values(status=InstallationStatus.PAUSED, status_reason="the customer asked")
        )
        await session.execute(
            update(FortnoxCredentials).values(refreshed_at=utcnow() - timedelta(days=30))
        )
        await session.commit()
    credentials = await snapshot(harness, harness.installation_id)
    assert credentials.credentials is not None
    async with services.session_factory() as session:
        row = await session.get(FortnoxCredentials, harness.installation_id)
        assert row is not None and row.refresh_token_enc is not None
        harness.fortnox.oauth.revoke(services.secret_box.decrypt(row.refresh_token_enc))

    assert await keep_tokens_alive(services) == {"refreshed": 0, "refused": 1, "failed": 0}
    harness.fortnox.set_consent_tenant(harness.tenant_id)
    response = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )

    assert response.status_code == 302, response.text
    after = await snapshot(harness, harness.installation_id)
    assert after.status == InstallationStatus.PAUSED
