"""The health endpoint's live connection check, against both sandboxes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.ops import token_keeper
from upsales_fortnox.ops.token_keeper import check_active_installations
from upsales_fortnox.services import Services

UPSALES_KEY_SECRET = "upsales-key-under-another-secret"
SAFETY_TIMEOUT = 20


async def _check(harness: SyncHarness) -> dict[str, Any]:
    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/health/check",
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_check_records_both_connections_and_a_refused_key_needs_action(
    harness: SyncHarness,
) -> None:
    health = await _check(harness)
    assert (health["state"], health["reasons"]) == ("ok", [])
    assert health["upsales"]["key_ok"] is True
    assert health["upsales"]["key_checked_at"] is not None
    assert health["fortnox"]["last_successful_call_at"] is not None

    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation).values(
                upsales_api_token_enc=harness.services.secret_box.encrypt("not-the-key-0000"),
                version=Installation.version + 1,
            )
        )
        await session.commit()
    assert await check_active_installations(harness.services) == 1
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/health", headers=harness.admin_headers
    )
    health = response.json()
    assert health["state"] == "action_needed"
    assert [reason["code"] for reason in health["reasons"]] == ["upsales_key_refused"]
    assert health["upsales"]["key_ok"] is False
    assert "not-the-key" not in response.text


async def test_credentials_stored_under_another_secret_key_need_action(
    harness: SyncHarness,
) -> None:
    another_key = SecretBox("a SECRET_KEY this service does not run with")
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation).values(
                upsales_api_token_enc=another_key.encrypt(UPSALES_KEY_SECRET),
                version=Installation.version + 1,
            )
        )
        await session.execute(
            update(FortnoxCredentials).values(
                access_token_enc=another_key.encrypt("an access token")
            )
        )
        await session.commit()

    health = await _check(harness)  # a 200 with the health, no 500
    assert health["state"] == "action_needed"
    assert [reason["code"] for reason in health["reasons"]] == ["credentials_unreadable"]
    assert "SECRET_KEY" in health["reasons"][0]["message"]
    assert UPSALES_KEY_SECRET not in json.dumps(health)


async def test_one_installations_failed_check_leaves_the_others_checked(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[uuid.UUID] = []

    async def check(services: Services, installation: Installation) -> None:
        checked.append(installation.id)
        if len(checked) == 1:
            raise RuntimeError("the first check fails")

    async with harness.services.session_factory() as session:
        template = await session.get(Installation, harness.installation_id)
        assert template is not None
        session.add(
            Installation(
                name="Another customer",
                upsales_customer_id=(template.upsales_customer_id or 0) + 1,
                status=template.status,
            )
        )
        await session.commit()
    monkeypatch.setattr(token_keeper, "check_connections", check)
    assert await token_keeper.check_active_installations(harness.services) == 2
    assert len(checked) == 2 and harness.installation_id in checked


async def test_one_installations_check_that_hangs_holds_up_no_others(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first installation's Fortnox does not answer its check: the others' checks are done
    meanwhile, not an HTTP timeout (and its retries) later, one after another."""
    checked: list[uuid.UUID] = []
    first_hangs = asyncio.Event()
    answer = asyncio.Event()
    others_checked = asyncio.Event()

    async def check(services: Services, installation: Installation) -> None:
        checked.append(installation.id)
        if len(checked) == 1:
            first_hangs.set()
            await answer.wait()
        elif len(checked) == 3:
            others_checked.set()

    async with harness.services.session_factory() as session:
        template = await session.get(Installation, harness.installation_id)
        assert template is not None
        for number in (1, 2):
            session.add(
                Installation(
                    name=f"Another customer {number}",
                    upsales_customer_id=(template.upsales_customer_id or 0) + number,
                    status=template.status,
                )
            )
        await session.commit()
    monkeypatch.setattr(token_keeper, "check_connections", check)
    checking = asyncio.create_task(token_keeper.check_active_installations(harness.services))
    try:
        await asyncio.wait_for(first_hangs.wait(), SAFETY_TIMEOUT)
        served = asyncio.create_task(others_checked.wait())
        done, _ = await asyncio.wait(
            {served, checking}, timeout=SAFETY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        assert served in done and not checking.done()
    finally:
        answer.set()
    assert await asyncio.wait_for(checking, SAFETY_TIMEOUT) == 3
    assert len(set(checked)) == 3


async def test_fortnox_tokens_stored_under_another_secret_key_need_action(
    harness: SyncHarness,
) -> None:
    """The Upsales key still decrypts; the Fortnox tokens do not (SECRET_KEY rotated without
    the old one): the health says so before any job dies, without a secret."""
    another_key = SecretBox("a SECRET_KEY this service does not run with")
    async with harness.services.session_factory() as session:
        await session.execute(
            update(FortnoxCredentials).values(
                access_token_enc=another_key.encrypt("an-access-token-secret"),
                refresh_token_enc=another_key.encrypt("a-refresh-token-secret"),
            )
        )
        await session.commit()

    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/health", headers=harness.admin_headers
    )
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["state"] == "action_needed"
    assert [reason["code"] for reason in health["reasons"]] == ["credentials_unreadable"]
    assert "Fortnox" in health["reasons"][0]["message"]

    checked = await _check(harness)
    assert [reason["code"] for reason in checked["reasons"]] == ["credentials_unreadable"]
    assert checked["upsales"]["key_ok"] is True
    for text in (response.text, json.dumps(checked)):
        assert "token-secret" not in text
