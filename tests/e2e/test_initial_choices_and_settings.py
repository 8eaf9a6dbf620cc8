"""Settings choices read live from both sandboxes, and settings refused for unknown ids."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import SyncHarness
from upsales_fortnox.installations.choices_router import LiveReferenceCheck


async def _get(harness: SyncHarness, what: str) -> Any:
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/choices/{what}",
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_choices_come_from_the_live_systems(harness: SyncHarness) -> None:
    harness.fortnox.seed(harness.tenant_id, pricelists=[{"Code": "B", "Description": "Export"}])

    price_lists = await _get(harness, "price-lists")
    stages = await _get(harness, "order-stages")
    users = await _get(harness, "users")

    assert {item["code"] for item in price_lists} == {"A", "B"}
    assert {(s["id"], s["probability"]) for s in stages} >= {
        (harness.demo.stage_won_id, 100),
        (harness.demo.stage_lost_id, 0),
    }
    assert harness.demo.admin_user_id in {user["id"] for user in users}


async def _put_settings(harness: SyncHarness, **overrides: Any) -> Any:
    url = f"/api/installations/{harness.installation_id}/settings"
    current = await harness.service.get(url, headers=harness.admin_headers)
    body = {
        "syncType": "invoice",
        "wonStage": harness.demo.stage_won_id,
        "lostStage": harness.demo.stage_lost_id,
        "placeholderUser": harness.demo.admin_user_id,
        "priceList": "A",
        **overrides,
    }
    return await harness.service.put(
        url, json=body, headers={**harness.admin_headers, "If-Match": current.headers["etag"]}
    )


async def test_settings_naming_unknown_ids_are_refused(harness: SyncHarness) -> None:
    harness.app.state.settings_reference_check = LiveReferenceCheck(harness.services)

    refused = await _put_settings(harness, wonStage=9999, placeholderUser=8888, priceList="ZZ")

    assert refused.status_code == 422, refused.text
    problems = {(p["field"], p["code"]) for p in refused.json()["error"]["details"]}
    assert problems == {
        ("wonStage", "unknown_reference"),
        ("placeholderUser", "unknown_reference"),
        ("priceList", "unknown_reference"),
    }
    accepted = await _put_settings(harness)
    assert accepted.status_code == 200, accepted.text
