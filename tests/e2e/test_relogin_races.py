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
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus


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
