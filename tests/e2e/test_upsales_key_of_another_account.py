"""An Upsales API key that opens another customer's Upsales account (a slip among many
customers' keys) is refused where it is saved, and found by the connection check where it was
saved before: nothing of this installation is written into the other customer's CRM."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call
from tests.e2e.outbound_support import job, queue
from ufs_sandboxes.upsales import seed_demo_upsales
from upsales_fortnox.cli.errors import describe
from upsales_fortnox.installations.errors import UpsalesKeyOfAnotherAccount
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.connection_checks import check_connections
from upsales_fortnox.ops.token_keeper import check_active_installations
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus


async def _store_key(harness: SyncHarness, key: str) -> None:
    """The key stored as it was before the save checked it (or while Upsales did not answer)."""
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation).values(
                upsales_api_token_enc=harness.services.secret_box.encrypt(key),
                version=Installation.version + 1,
            )
        )
        await session.commit()


async def _create(harness: SyncHarness, customer_id: int, key: str) -> httpx.Response:
    body = {"name": "Tredje", "upsales_customer_id": customer_id, "upsales_api_token": key}
    return await harness.service.post(
        "/api/installations", json=body, headers=harness.admin_headers
    )


def _url(harness: SyncHarness) -> str:
    return f"/api/installations/{harness.installation_id}"


async def test_a_key_of_another_account_is_refused_and_nothing_is_saved(
    harness: SyncHarness,
) -> None:
    other = seed_demo_upsales(harness.upsales, "Annan Kund AB")
    current = await harness.service.get(_url(harness), headers=harness.admin_headers)
    etag = current.headers["ETag"]
    refused = await harness.service.patch(
        _url(harness),
        json={"upsales_api_token": other.api_key, "name": "Omdöpt"},
        headers={**harness.admin_headers, "If-Match": etag},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "upsales_key_other_account"
    assert other.api_key not in refused.text
    after = await harness.service.get(_url(harness), headers=harness.admin_headers)
    assert after.headers["ETag"] == etag and after.json()["name"] == current.json()["name"]

    # the customer id changed to the other account's, with the stored key: refused too
    moved = await harness.service.patch(
        _url(harness),
        json={"upsales_customer_id": other.customer_id},
        headers={**harness.admin_headers, "If-Match": etag},
    )
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "upsales_key_other_account"

    # the account's own key (a second one) is taken
    own_key = harness.upsales.create_api_key(harness.demo.customer_id)
    taken = await harness.service.patch(
        _url(harness),
        json={"upsales_api_token": own_key},
        headers={**harness.admin_headers, "If-Match": etag},
    )
    assert taken.status_code == 200, taken.text


async def test_a_new_installation_with_a_key_of_another_account_is_not_created(
    harness: SyncHarness,
) -> None:
    other = seed_demo_upsales(harness.upsales, "Annan Kund AB")
    third = seed_demo_upsales(harness.upsales, "Tredje Kund AB")
    before = await harness.service.get("/api/installations", headers=harness.admin_headers)
    refused = await _create(harness, third.customer_id, other.api_key)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "upsales_key_other_account"
    after = await harness.service.get("/api/installations", headers=harness.admin_headers)
    assert after.json()["total"] == before.json()["total"]
    created = await _create(harness, third.customer_id, third.api_key)
    assert created.status_code == 201, created.text


async def test_a_key_of_another_account_saved_earlier_pauses_the_installation(
    harness: SyncHarness,
) -> None:
    """Saved before the check existed (or while Upsales did not answer): the connection check
    finds it, the installation is paused, and a Fortnox customer waits instead of being made
    in the other customer's Upsales."""
    other = seed_demo_upsales(harness.upsales, "Annan Kund AB")
    await _store_key(harness, other.api_key)
    assert await check_active_installations(harness.services) == 1

    health = await harness.service.get(f"{_url(harness)}/health", headers=harness.admin_headers)
    assert health.json()["state"] == "action_needed"
    assert "upsales_key_other_account" in [r["code"] for r in health.json()["reasons"]]
    assert other.api_key not in health.text
    shown = (await harness.service.get(_url(harness), headers=harness.admin_headers)).json()
    assert shown["status"] == InstallationStatus.PAUSED
    assert shown["status_reason"].startswith("upsales_key_other_account:")

    created = await fortnox_call(
        harness, "POST", "/customers", {"Customer": {"Name": "Hemlig Kund AB"}}
    )
    job_id = await queue(harness, "fortnox.customer", created["Customer"]["CustomerNumber"])
    await harness.run_jobs()
    assert (await job(harness, job_id)).status == JobStatus.QUEUED
    names = [c["name"] for c in harness.upsales.list_entities(other.customer_id, "accounts")]
    assert "Hemlig Kund AB" not in names

    # resuming with the same key is refused; with the account's own key it resumes
    resume = {**harness.admin_headers, "If-Match": "*"}
    refused = await harness.service.patch(_url(harness), json={"status": "active"}, headers=resume)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "upsales_key_other_account"
    own_key = harness.upsales.create_api_key(harness.demo.customer_id)
    resumed = await harness.service.patch(
        _url(harness), json={"status": "active", "upsales_api_token": own_key}, headers=resume
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == InstallationStatus.ACTIVE
    health = await harness.service.get(f"{_url(harness)}/health", headers=harness.admin_headers)
    assert "upsales_key_other_account" not in [r["code"] for r in health.json()["reasons"]]


async def test_a_check_made_while_the_key_was_replaced_judges_nothing(
    harness: SyncHarness,
) -> None:
    """The check read the other account's key; the operator saved the right one before the
    check's verdict: the installation is neither paused nor judged by the old key."""
    other = seed_demo_upsales(harness.upsales, "Annan Kund AB")
    async with harness.services.session_factory() as session:
        installation = await session.get(Installation, harness.installation_id)
        assert installation is not None
        session.expunge(installation)
    installation.upsales_api_token_enc = harness.services.secret_box.encrypt(other.api_key)
    result = await check_connections(harness.services, installation)  # the stored key is right
    assert result.upsales_key_ok is None
    shown = (await harness.service.get(_url(harness), headers=harness.admin_headers)).json()
    assert shown["status"] == InstallationStatus.ACTIVE


@pytest.mark.parametrize("database_url", [None])
def test_the_command_line_names_the_code(database_url: str | None) -> None:
    line, _ = describe(UpsalesKeyOfAnotherAccount(1, 2), database_url)
    assert line.startswith("upsales_key_other_account: ") and "customer 2" in line


async def test_when_the_customer_id_was_the_slip_correcting_it_ends_the_verdict(
    harness: SyncHarness,
) -> None:
    """The key was right and the customer id mistyped: once the id is corrected, the health no
    longer asks for another key (the check's verdict judged the old pair)."""
    other = seed_demo_upsales(harness.upsales, "Annan Kund AB")
    await _store_key(harness, other.api_key)
    assert await check_active_installations(harness.services) == 1
    corrected = await harness.service.patch(
        _url(harness),
        json={"upsales_customer_id": other.customer_id},
        headers={**harness.admin_headers, "If-Match": "*"},
    )
    assert corrected.status_code == 200, corrected.text
    health = await harness.service.get(f"{_url(harness)}/health", headers=harness.admin_headers)
    assert "upsales_key_other_account" not in [r["code"] for r in health.json()["reasons"]]
