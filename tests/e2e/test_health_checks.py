"""The health endpoint's live connection check, against both sandboxes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.token_keeper import check_active_installations


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
