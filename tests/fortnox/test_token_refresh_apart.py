"""One installation's token refresh that Fortnox is slow to answer holds no other
installation's refresh (nor any other write) on SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fortnox_testkit import NOW, TokenEndpoint, create_installation
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.installations import fortnox_tokens
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.fortnox.oauth import TokenSet

Sessions = async_sessionmaker[AsyncSession]
SAFETY_TIMEOUT = 20


def expired(tokens: TokenSet) -> TokenSet:
    return replace(tokens, expires_at=NOW - timedelta(minutes=1))


async def test_another_installations_refresh_is_done_while_fortnox_holds_one_up(
    sqlite_sessions: Sessions,
    make_store: Callable[[Sessions], DbTokenStore],
    token_endpoint: TokenEndpoint,
) -> None:
    slow = await create_installation(sqlite_sessions, tenant_id="1")
    other = await create_installation(sqlite_sessions, tenant_id="2")
    store = make_store(sqlite_sessions)
    slow_tokens = expired(token_endpoint.issue())
    await store.save_initial(slow, slow_tokens)
    other_tokens = expired(token_endpoint.issue())
    await store.save_initial(other, other_tokens)

    at_fortnox = asyncio.Event()
    answer = asyncio.Event()
    answer_fortnox = token_endpoint.route.side_effect

    async def slow_for_one(request: httpx.Request) -> httpx.Response:
        if slow_tokens.refresh_token in request.content.decode():
            at_fortnox.set()
            await answer.wait()
        return await answer_fortnox(request)

    token_endpoint.route.side_effect = slow_for_one

    slow_refresh = asyncio.create_task(store.access_token(slow))
    try:
        await asyncio.wait_for(at_fortnox.wait(), SAFETY_TIMEOUT)
        other_refresh = asyncio.create_task(store.access_token(other))
        done, _ = await asyncio.wait(
            {other_refresh, slow_refresh},
            timeout=SAFETY_TIMEOUT,
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert other_refresh in done and not slow_refresh.done()
        assert other_refresh.result() != other_tokens.access_token  # refreshed
    finally:
        answer.set()
    assert await asyncio.wait_for(slow_refresh, SAFETY_TIMEOUT) != slow_tokens.access_token


async def test_two_processes_refreshing_one_installation_at_once_ask_fortnox_once(
    sqlite_sessions: Sessions,
    make_store: Callable[[Sessions], DbTokenStore],
    token_endpoint: TokenEndpoint,
) -> None:
    """Outside the write lock, the refresh of one installation is still one at a time across
    the processes sharing the file: the second finds the first one's tokens."""
    installation_id = await create_installation(sqlite_sessions)
    stale = expired(token_endpoint.issue())
    await make_store(sqlite_sessions).save_initial(installation_id, stale)
    here, elsewhere = make_store(sqlite_sessions), make_store(sqlite_sessions)

    tokens = await asyncio.wait_for(
        asyncio.gather(here.access_token(installation_id), elsewhere.access_token(installation_id)),
        SAFETY_TIMEOUT,
    )

    assert tokens[0] == tokens[1] != stale.access_token
    assert token_endpoint.refresh_calls == 1


async def test_new_tokens_that_meet_a_busy_database_are_stored_once_it_frees(
    sqlite_sessions: Sessions,
    make_store: Callable[[Sessions], DbTokenStore],
    token_endpoint: TokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fortnox has rotated the refresh token (the old one is spent) when the write lock to
    store the new ones is sought: another writer holding the database past the busy timeout
    does not lose them (and with them the login); they are stored once it frees."""
    installation_id = await create_installation(sqlite_sessions)
    stale = expired(token_endpoint.issue())
    await make_store(sqlite_sessions).save_initial(installation_id, stale)
    store_lock = fortnox_tokens.lock_credentials
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
    refused: list[str] = []

    async def busy_once(session: AsyncSession, installation: uuid.UUID) -> object:
        if not refused:
            refused.append("busy")
            raise OperationalError("UPDATE fortnox_credentials", {}, busy)
        return await store_lock(session, installation)

    monkeypatch.setattr(fortnox_tokens, "lock_credentials", busy_once)

    token = await asyncio.wait_for(
        make_store(sqlite_sessions).access_token(installation_id), SAFETY_TIMEOUT
    )

    assert refused == ["busy"] and token != stale.access_token
    assert await make_store(sqlite_sessions).access_token(installation_id) == token
    assert token_endpoint.refresh_calls == 1
