"""A new Fortnox login racing a refused refresh keeps the installation connected.

Fortnox refuses a dead refresh token; at about that moment the customer logs in again and the
login stores fresh tokens. Whatever the order in which the refusal's consequences and the login
land, the installation ends ``active`` with the login's tokens, and the workers that met the
refusal carry on with those tokens. Each interleaving is forced by running the login at a fixed
point of the refusal's handling (no timing).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.activation.login_flow import consent, start_login
from tests.e2e.harness import SyncHarness
from tests.jobs.support import Result
from upsales_fortnox.installations.api_clients import fortnox_client_for
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker, enqueue
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import JobAttempt, SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, InstallationStatus, JobStatus

COMPANY_INFORMATION = "test.fortnox_company_information"


async def stored_tokens(harness: SyncHarness) -> tuple[str, str]:
    """The installation's stored access and refresh token, decrypted."""
    box = harness.services.secret_box
    async with harness.services.session_factory() as session:
        row = await session.get(FortnoxCredentials, harness.installation_id)
        assert row is not None and row.refresh_token_enc is not None
        return box.decrypt(row.access_token_enc), box.decrypt(row.refresh_token_enc)


async def status_of(harness: SyncHarness) -> tuple[str, str | None]:
    async with harness.services.session_factory() as session:
        row = (
            await session.execute(
                select(Installation.status, Installation.status_reason).where(
                    Installation.id == harness.installation_id
                )
            )
        ).one()
        return row[0], row[1]


async def log_in_again(harness: SyncHarness) -> None:
    """The customer's whole Fortnox login, through the service and the sandbox's consent."""
    harness.fortnox.set_consent_tenant(harness.tenant_id)
    callback = await consent(harness, await start_login(harness, harness.installation_id))
    response = await harness.service.get(callback)
    assert response.status_code == 302, response.text


async def kill_the_stored_login(harness: SyncHarness) -> tuple[str, str]:
    """Fortnox forgets the stored login (its refresh and access tokens); returns them (the
    access token is the one the workers still hold)."""
    access, refresh = await stored_tokens(harness)
    harness.fortnox.oauth.revoke(refresh)
    return access, refresh


def around_the_refusal_write(
    monkeypatch: pytest.MonkeyPatch,
    store: DbTokenStore,
    *,
    before: Callable[[], Awaitable[None]] | None = None,
    after: Callable[[], Awaitable[None]] | None = None,
) -> list[int]:
    """Run ``before``/``after`` around the store's write of a refused refresh (once); returns
    a list that counts the writes."""
    write_refusal = store._mark_needs_relogin
    writes: list[int] = []

    async def hooked(*args: Any, **kwargs: Any) -> Any:
        writes.append(1)
        if before is not None and len(writes) == 1:
            await before()
        result = await write_refusal(*args, **kwargs)
        if after is not None and len(writes) == 1:
            await after()
        return result

    monkeypatch.setattr(store, "_mark_needs_relogin", hooked)
    return writes


async def test_a_login_stored_between_a_refusal_and_its_write_is_kept_and_used(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="upsales_fortnox")
    services = harness.services
    old_access, old_refresh = await kill_the_stored_login(harness)
    writes = around_the_refusal_write(
        monkeypatch, services.token_store, before=lambda: log_in_again(harness)
    )
    other_worker = DbTokenStore(
        services.session_factory, services.secret_box, services.fortnox_oauth
    )

    access = await services.token_store.refresh_after_rejection(harness.installation_id, old_access)

    assert writes == [1]
    new_access, new_refresh = await stored_tokens(harness)
    assert access == new_access != old_access
    assert harness.fortnox.oauth.lookup_access_token(access) is not None
    assert new_refresh in harness.fortnox.oauth.refresh_tokens  # the login's, not used up
    assert await status_of(harness) == (InstallationStatus.ACTIVE, None)
    # another worker that met the old access token takes the login's, refreshing nothing
    assert await other_worker.refresh_after_rejection(harness.installation_id, old_access) == (
        new_access
    )
    assert new_refresh in harness.fortnox.oauth.refresh_tokens
    for secret in (old_access, old_refresh, new_access, new_refresh):
        assert secret not in caplog.text


async def test_a_refusal_written_before_a_login_leaves_the_login_active(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = harness.services
    old_access, old_refresh = await kill_the_stored_login(harness)
    statuses: list[str] = []

    async def log_in_after_the_refusal() -> None:
        statuses.append((await status_of(harness))[0])
        await log_in_again(harness)

    around_the_refusal_write(monkeypatch, services.token_store, after=log_in_after_the_refusal)

    with pytest.raises(ReauthorizationRequired) as refused:
        await services.token_store.refresh_after_rejection(harness.installation_id, old_access)

    assert statuses == [InstallationStatus.NEEDS_RELOGIN]  # the refusal was written first
    assert await status_of(harness) == (InstallationStatus.ACTIVE, None)
    new_access, _ = await stored_tokens(harness)
    assert await services.token_store.access_token(harness.installation_id) == new_access
    for secret in (old_access, old_refresh):
        assert secret not in str(refused.value)


async def test_a_job_refused_just_before_a_login_does_not_park_the_new_login(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job met the refusal, the refusal was written, the customer logged in; only then does
    the job's failure reach the queue: the installation stays active, the job runs again."""
    services = harness.services
    old_access, old_refresh = await kill_the_stored_login(harness)
    around_the_refusal_write(monkeypatch, services.token_store, after=lambda: log_in_again(harness))

    async def read_company_information(ctx: JobContext) -> Result:
        async with services.session_factory() as session:
            installation = await session.get(Installation, ctx.installation_id)
        assert installation is not None
        information = await fortnox_client_for(services, installation).get_company_information()
        return Result({"database_number": str(information.DatabaseNumber)})

    worker = Worker(
        services.session_factory,
        HandlerRegistry({COMPANY_INFORMATION: read_company_information}),
        services.settings,
    )
    async with services.session_factory() as session:
        queued = await enqueue(
            session,
            installation_id=harness.installation_id,
            kind=COMPANY_INFORMATION,
            entity_id=None,
        )
        await session.commit()

    while await worker.run_once():
        pass

    assert await status_of(harness) == (InstallationStatus.ACTIVE, None)
    async with services.session_factory() as session:
        job = await session.get(SyncJob, queued.job_id)
        attempts = (
            await session.execute(
                select(JobAttempt.outcome, JobAttempt.error)
                .where(JobAttempt.job_id == queued.job_id)
                .order_by(JobAttempt.number)
            )
        ).all()
    assert job is not None
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert job.result == {"database_number": str(harness.tenant_id)}
    assert [outcome for outcome, _ in attempts] == [AttemptOutcome.RELEASED, AttemptOutcome.DONE]
    refusal = attempts[0][1]
    assert refusal is not None and refusal.startswith("fortnox_reauthorization_required: ")
    for secret in (old_access, old_refresh):
        assert secret not in refusal
