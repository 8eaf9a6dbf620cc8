"""The Fortnox login starts the installation's Upsales catch-up at the moment of activation."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, pending_installation, start_login
from tests.e2e.harness import SyncHarness
from upsales_fortnox.models.job import ReconcileCheckpoint
from upsales_fortnox.sync.catchup.checkpoints import TOPICS


async def checkpoints(harness: SyncHarness, installation_id: uuid.UUID) -> dict[str, object]:
    async with harness.services.session_factory() as session:
        rows = await session.scalars(
            select(ReconcileCheckpoint).where(
                ReconcileCheckpoint.installation_id == installation_id,
                ReconcileCheckpoint.topic.in_(TOPICS),
            )
        )
        return {row.topic: row.checked_until for row in rows}


async def test_the_first_login_starts_the_catch_up_and_a_second_keeps_its_place(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant("Ny Kund AB"))
    activated = clock.now
    callback = await consent(harness, await start_login(harness, installation_id))
    assert (await harness.service.get(callback)).status_code == 302

    assert await checkpoints(harness, installation_id) == dict.fromkeys(TOPICS, activated)

    clock.advance(timedelta(hours=2))
    callback = await consent(harness, await start_login(harness, installation_id))
    assert (await harness.service.get(callback)).status_code == 302
    assert await checkpoints(harness, installation_id) == dict.fromkeys(TOPICS, activated)
