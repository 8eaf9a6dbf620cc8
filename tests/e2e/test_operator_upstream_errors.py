"""Operator routes that ask the live systems: a refusal is 502 ``upstream_refused`` (naming the
system, never the key) and missing or undecryptable credentials are 409
``installation_not_ready``; never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.activation.login_flow import pending_installation
from tests.e2e.harness import SyncHarness
from upsales_fortnox.installations.choices_router import LiveReferenceCheck
from upsales_fortnox.models.installation import FortnoxCredentials, Installation

WRONG_UPSALES_KEY = "wrong-upsales-key-3f9a1c"


async def _set_upsales_key(harness: SyncHarness, installation_id: uuid.UUID, enc: str) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == installation_id)
            .values(upsales_api_token_enc=enc)
        )
        await session.commit()


async def _with_wrong_upsales_key(harness: SyncHarness) -> None:
    encrypted = harness.services.secret_box.encrypt(WRONG_UPSALES_KEY)
    await _set_upsales_key(harness, harness.installation_id, encrypted)


async def _put_settings(harness: SyncHarness, **body: Any) -> httpx.Response:
    harness.app.state.settings_reference_check = LiveReferenceCheck(harness.services)
    url = f"/api/installations/{harness.installation_id}/settings"
    current = await harness.service.get(url, headers=harness.admin_headers)
    return await harness.service.put(
        url,
        json={"syncType": "invoice", **body},
        headers={**harness.admin_headers, "If-Match": current.headers["etag"]},
    )


def _assert_refused_by_upsales(response: httpx.Response) -> None:
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "upstream_refused"
    assert "Upsales" in error["message"]
    assert WRONG_UPSALES_KEY not in response.text


@pytest.mark.parametrize("what", ["users", "order-stages"])
async def test_choices_with_a_wrong_upsales_key_are_502(harness: SyncHarness, what: str) -> None:
    await _with_wrong_upsales_key(harness)

    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/choices/{what}",
        headers=harness.admin_headers,
    )

    _assert_refused_by_upsales(response)


async def test_settings_checked_with_a_wrong_upsales_key_are_502_and_not_stored(
    harness: SyncHarness,
) -> None:
    url = f"/api/installations/{harness.installation_id}/settings"
    before = await harness.service.get(url, headers=harness.admin_headers)
    await _with_wrong_upsales_key(harness)

    response = await _put_settings(
        harness, wonStage=harness.demo.stage_won_id, lostStage=harness.demo.stage_lost_id
    )

    _assert_refused_by_upsales(response)
    after = await harness.service.get(url, headers=harness.admin_headers)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json() == before.json()


async def test_the_preview_with_a_wrong_upsales_key_is_502(harness: SyncHarness) -> None:
    await _with_wrong_upsales_key(harness)

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    _assert_refused_by_upsales(response)


async def test_price_lists_without_a_fortnox_login_are_409(harness: SyncHarness) -> None:
    installation_id = await pending_installation(harness)

    response = await harness.service.get(
        f"/api/installations/{installation_id}/choices/price-lists",
        headers=harness.admin_headers,
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "installation_not_ready"
    assert "Fortnox" in response.json()["error"]["message"]


async def test_price_lists_with_undecryptable_fortnox_tokens_are_409(
    harness: SyncHarness,
) -> None:
    installation_id = await pending_installation(harness)
    async with harness.services.session_factory() as session:
        session.add(
            FortnoxCredentials(
                installation_id=installation_id,
                access_token_enc="not-a-fernet-token",
                refresh_token_enc="not-a-fernet-token",
                access_token_expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        await session.commit()

    response = await harness.service.get(
        f"/api/installations/{installation_id}/choices/price-lists",
        headers=harness.admin_headers,
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "installation_not_ready"
    assert "decrypted" in response.json()["error"]["message"]


@pytest.mark.parametrize("stored_key", [None, "not-a-fernet-token"])
async def test_users_without_a_usable_upsales_key_are_409(
    harness: SyncHarness, stored_key: str | None
) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == harness.installation_id)
            .values(upsales_api_token_enc=stored_key)
        )
        await session.commit()

    users = await harness.service.get(
        f"/api/installations/{harness.installation_id}/choices/users",
        headers=harness.admin_headers,
    )
    preview = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    for response in (users, preview):
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "installation_not_ready"


async def test_settings_with_an_undecryptable_upsales_key_are_refused_as_unchecked(
    harness: SyncHarness,
) -> None:
    await _set_upsales_key(harness, harness.installation_id, "not-a-fernet-token")

    response = await _put_settings(
        harness,
        wonStage=harness.demo.stage_won_id,
        lostStage=harness.demo.stage_lost_id,
        placeholderUser=harness.demo.admin_user_id,
    )

    assert response.status_code == 422, response.text
    problems = response.json()["error"]["details"]
    assert {(p["field"], p["code"]) for p in problems} == {
        ("wonStage", "unknown_reference"),
        ("lostStage", "unknown_reference"),
        ("placeholderUser", "unknown_reference"),
    }
    assert all("cannot be decrypted" in p["message"] for p in problems)
