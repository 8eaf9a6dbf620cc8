from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
import respx
from fortnox_testkit import NOW, TOKEN_URL, Clock, TokenEndpoint, create_installation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.installations.repository.tokens import read_credentials, record_refusal
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.integrations.fortnox.oauth import TokenSet
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus

Sessions = async_sessionmaker[AsyncSession]
MakeStore = Callable[[Sessions], DbTokenStore]


def expired(tokens: TokenSet) -> TokenSet:
    return replace(tokens, expires_at=NOW - timedelta(minutes=1))


async def stored(sessions: Sessions, installation_id: uuid.UUID) -> FortnoxCredentials:
    async with sessions() as session:
        credentials = await session.get(FortnoxCredentials, installation_id)
        assert credentials is not None
        return credentials


async def installation_row(sessions: Sessions, installation_id: uuid.UUID) -> Installation:
    async with sessions() as session:
        result = await session.execute(
            select(Installation).where(Installation.id == installation_id)
        )
        return result.scalar_one()


async def test_initial_tokens_are_stored_encrypted_and_served_without_refresh(
    sqlite_sessions: Sessions,
    make_store: MakeStore,
    token_endpoint: TokenEndpoint,
    secret_box: SecretBox,
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    tokens = token_endpoint.issue()
    await make_store(sqlite_sessions).save_initial(installation_id, tokens)

    credentials = await stored(sqlite_sessions, installation_id)
    fresh_store = make_store(sqlite_sessions)

    assert tokens.access_token not in credentials.access_token_enc
    assert tokens.refresh_token not in credentials.refresh_token_enc
    assert secret_box.decrypt(credentials.refresh_token_enc) == tokens.refresh_token
    assert await fresh_store.access_token(installation_id) == tokens.access_token
    assert token_endpoint.refresh_calls == 0


async def test_a_token_near_expiry_is_refreshed_and_the_rotated_pair_persisted(
    sqlite_sessions: Sessions,
    make_store: MakeStore,
    token_endpoint: TokenEndpoint,
    secret_box: SecretBox,
    wall_clock: Clock,
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    tokens = token_endpoint.issue()
    store = make_store(sqlite_sessions)
    await store.save_initial(installation_id, tokens)
    wall_clock.now = tokens.expires_at - timedelta(minutes=4)  # inside the 5 minute margin

    access = await store.access_token(installation_id)

    credentials = await stored(sqlite_sessions, installation_id)
    assert access != tokens.access_token
    assert token_endpoint.refresh_calls == 1
    assert secret_box.decrypt(credentials.access_token_enc) == access
    assert secret_box.decrypt(credentials.refresh_token_enc) == "refresh-2"
    assert credentials.access_token_expires_at == wall_clock.now + timedelta(hours=1)
    assert await store.access_token(installation_id) == access
    assert token_endpoint.refresh_calls == 1


async def test_fifty_concurrent_callers_with_an_expired_token_cause_one_refresh(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    await make_store(sqlite_sessions).save_initial(installation_id, expired(token_endpoint.issue()))
    store = make_store(sqlite_sessions)

    tokens = await asyncio.gather(*(store.access_token(installation_id) for _ in range(50)))

    assert token_endpoint.refresh_calls == 1
    assert len(set(tokens)) == 1
    assert token_endpoint.valid_refresh_tokens == {"refresh-2"}


async def test_rejection_of_an_already_replaced_token_uses_the_new_one(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    first = token_endpoint.issue()
    elsewhere = make_store(sqlite_sessions)  # another process sharing the database
    here = make_store(sqlite_sessions)
    await here.save_initial(installation_id, first)
    refreshed = await elsewhere.refresh_after_rejection(installation_id, first.access_token)

    access = await here.refresh_after_rejection(installation_id, first.access_token)

    assert access == refreshed != first.access_token
    assert token_endpoint.refresh_calls == 1


async def test_a_replacement_that_has_expired_too_is_refreshed(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    await store.save_initial(installation_id, expired(token_endpoint.issue()))

    access = await store.refresh_after_rejection(installation_id, "an-older-token")

    assert token_endpoint.refresh_calls == 1
    assert access == await store.access_token(installation_id)


async def test_a_rejected_current_token_is_refreshed_even_far_from_expiry(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    first = token_endpoint.issue()
    await store.save_initial(installation_id, first)

    access = await store.refresh_after_rejection(installation_id, first.access_token)

    assert access != first.access_token
    assert token_endpoint.refresh_calls == 1
    assert await store.access_token(installation_id) == access


async def test_a_refused_refresh_token_parks_the_installation_for_a_new_login(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    await make_store(sqlite_sessions).save_initial(installation_id, expired(token_endpoint.issue()))
    token_endpoint.reject_all = True
    store = make_store(sqlite_sessions)

    results = await asyncio.gather(
        *(store.access_token(installation_id) for _ in range(50)), return_exceptions=True
    )

    assert all(isinstance(result, ReauthorizationRequired) for result in results)
    assert token_endpoint.refresh_calls == 1
    installation = await installation_row(sqlite_sessions, installation_id)
    assert installation.status == InstallationStatus.NEEDS_RELOGIN
    assert installation.status_reason and "Log in to Fortnox again" in installation.status_reason
    assert installation.version == 2


async def test_a_new_login_after_a_refusal_works_again(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    await store.save_initial(installation_id, expired(token_endpoint.issue()))
    token_endpoint.valid_refresh_tokens.clear()
    with pytest.raises(ReauthorizationRequired):
        await store.access_token(installation_id)

    await store.save_initial(installation_id, expired(token_endpoint.issue()))

    assert await store.access_token(installation_id)
    assert token_endpoint.refresh_calls == 2


async def test_missing_tokens_need_a_login_and_call_nobody(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    installation_id = await create_installation(sqlite_sessions)

    with pytest.raises(ReauthorizationRequired):
        await make_store(sqlite_sessions).access_token(installation_id)

    assert token_endpoint.refresh_calls == 0


async def test_a_token_endpoint_outage_is_retryable_and_keeps_the_tokens(
    sqlite_sessions: Sessions,
    make_store: MakeStore,
    router: respx.MockRouter,
    secret_box: SecretBox,
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    tokens = TokenSet(access_token="a1", refresh_token="r1", expires_at=NOW - timedelta(hours=1))
    await store.save_initial(installation_id, tokens)
    router.post(TOKEN_URL).mock(return_value=httpx.Response(502))

    with pytest.raises(FortnoxUnavailable):
        await store.access_token(installation_id)

    credentials = await stored(sqlite_sessions, installation_id)
    installation = await installation_row(sqlite_sessions, installation_id)
    assert secret_box.decrypt(credentials.refresh_token_enc) == "r1"
    assert installation.status == InstallationStatus.ACTIVE


async def test_tokens_never_reach_the_logs(
    sqlite_sessions: Sessions,
    make_store: MakeStore,
    token_endpoint: TokenEndpoint,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    first = expired(token_endpoint.issue())
    await store.save_initial(installation_id, first)
    access = await store.access_token(installation_id)
    token_endpoint.reject_all = True
    with pytest.raises(ReauthorizationRequired):
        await store.refresh_after_rejection(installation_id, access)

    assert "refreshing Fortnox access token" in caplog.text
    for secret in (first.access_token, access, first.refresh_token, "refresh-2"):
        assert secret not in caplog.text


async def test_a_login_stored_just_after_another_process_recorded_a_refusal_clears_it(
    sqlite_sessions: Sessions, make_store: MakeStore, token_endpoint: TokenEndpoint
) -> None:
    """The login read the stored row before the refusal was recorded (in another process):
    its new tokens still clear the refusal, so a document link's HEAD is not refused after
    the new login."""
    installation_id = await create_installation(sqlite_sessions)
    store = make_store(sqlite_sessions)
    await store.save_initial(installation_id, token_endpoint.issue())

    read_by_the_login: list[FortnoxCredentials | None] = []

    async def refused_meanwhile(session: AsyncSession) -> None:
        read_by_the_login.append(await read_credentials(session, installation_id))
        async with sqlite_sessions() as other, other.begin():
            await record_refusal(other, installation_id, NOW)

    await store.save_initial(installation_id, token_endpoint.issue(), connect=refused_meanwhile)

    assert (await stored(sqlite_sessions, installation_id)).refused_at is None
    await make_store(sqlite_sessions).check_stored(installation_id)
