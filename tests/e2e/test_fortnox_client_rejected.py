"""Fortnox refusing the service's own OAuth client (a wrong ``FORTNOX_CLIENT_SECRET``, shared by
every installation) at a token refresh: an outage of the service's configuration, not the
installation's login. The job waits past its attempts instead of dying, the installation keeps
its login, its health names the refused client, and once the secret is right the job goes
through by itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, queue, run_now, win
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus

REFUSED = "fortnox_client_rejected"


async def _expire_access_token(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        credentials.access_token_expires_at = datetime.now(UTC) - timedelta(minutes=1)
        await session.commit()
    harness.services.token_store._cache.clear()


async def _run_tries(harness: SyncHarness, tries: int) -> None:
    """Run the due jobs ``tries`` times, making each retry due at once."""
    for _ in range(tries):
        await harness.run_jobs()
        async with harness.services.session_factory() as session:
            await session.execute(
                update(SyncJob).where(SyncJob.status == JobStatus.QUEUED).values(run_after=utcnow())
            )
            await session.commit()


async def test_a_refused_service_client_waits_and_the_job_goes_through_once_fixed(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    await _expire_access_token(harness)
    oauth = harness.fortnox.oauth
    right = oauth._config
    monkeypatch.setattr(oauth, "_config", replace(right, client_secret="rotated-at-fortnox"))
    job_id = await queue(harness, "upsales.order", harness.demo.opportunity_id)
    win(harness, harness.demo.opportunity_id)

    await _run_tries(harness, harness.services.settings.job_max_attempts + 2)

    waiting = await job(harness, job_id)
    assert waiting.status == JobStatus.QUEUED
    assert waiting.attempts > waiting.max_attempts
    assert (waiting.last_error or "").startswith(f"{REFUSED}:")
    async with harness.services.session_factory() as session:
        installation = await session.get(Installation, harness.installation_id)
        assert installation is not None
        assert installation.status == InstallationStatus.ACTIVE
    health = await harness.service.get(
        f"/api/installations/{harness.installation_id}/health", headers=harness.admin_headers
    )
    reasons = {reason["code"]: reason for reason in health.json()["reasons"]}
    assert health.json()["state"] == "action_needed"
    assert "FORTNOX_CLIENT_SECRET" in reasons[REFUSED]["message"]
    assert "fortnox_access_refused" not in reasons
    assert "fortnox_relogin_needed" not in reasons

    monkeypatch.setattr(oauth, "_config", right)  # the operator deploys the right secret
    await run_now(harness)

    assert (await job(harness, job_id)).status == JobStatus.DONE
    health = await harness.service.get(
        f"/api/installations/{harness.installation_id}/health", headers=harness.admin_headers
    )
    assert REFUSED not in {reason["code"] for reason in health.json()["reasons"]}
