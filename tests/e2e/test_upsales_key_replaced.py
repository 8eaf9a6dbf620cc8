"""An Upsales API key revoked by the customer's admin: the won deal that arrives meanwhile ends
``dead`` with ``upsales_unauthorized``. Its hook was recorded, so the catch-up would take that
version as seen and never bring it again. Once an operator saves the new key, every job of the
installation that Upsales refused goes back on the queue by itself and the deal reaches
Fortnox; jobs that died for another reason stay as they are."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import fortnox_list, job, queue, run_now, win
from upsales_fortnox.vocabulary import JobStatus


async def _replace_key(harness: SyncHarness, new_key: str | None) -> None:
    url = f"/api/installations/{harness.installation_id}"
    current = await harness.service.get(url, headers=harness.admin_headers)
    assert current.status_code == 200, current.text
    edited = await harness.service.patch(
        url,
        json={"upsales_api_token": new_key},
        headers={**harness.admin_headers, "If-Match": current.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text


async def test_a_deal_refused_by_a_revoked_key_is_sent_once_a_new_key_is_saved(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    del harness.upsales.state.api_keys[harness.demo.api_key]  # the admin revoked the key
    win(harness, order_id)
    deal_job = await queue(harness, "upsales.order", order_id)
    other_job = await queue(harness, "not.a.known.kind", "7")  # dies for its own reason
    await run_now(harness)
    refused = await job(harness, deal_job)
    assert refused.status == JobStatus.DEAD
    assert (refused.last_error or "").startswith("upsales_unauthorized:")
    assert (await job(harness, other_job)).status == JobStatus.DEAD
    assert fortnox_list(harness, "invoices") == []

    new_key = harness.upsales.create_api_key(harness.demo.customer_id)
    await _replace_key(harness, new_key)
    await run_now(harness)

    sent = await job(harness, deal_job)
    assert sent.status == JobStatus.DONE, sent.last_error
    (invoice,) = fortnox_list(harness, "invoices")
    assert str(invoice["DocumentNumber"]) == str((sent.result or {})["fortnox_invoice"])
    still_dead = await job(harness, other_job)
    assert still_dead.status == JobStatus.DEAD
    assert not (still_dead.last_error or "").startswith("upsales_unauthorized:")


async def test_a_deal_that_died_for_want_of_a_key_is_sent_once_one_is_saved(
    linked: SyncHarness,
) -> None:
    """An installation whose key was cleared (or never given): its deal dies at once, the
    health asks for a key, and saving one sends the deal."""
    harness = linked
    order_id = harness.demo.opportunity_id
    await _replace_key(harness, None)
    win(harness, order_id)
    deal_job = await queue(harness, "upsales.order", order_id)
    await run_now(harness)
    died = await job(harness, deal_job)
    assert died.status == JobStatus.DEAD
    assert (died.last_error or "").startswith("installation_not_ready:")
    url = f"/api/installations/{harness.installation_id}/health"
    health = (await harness.service.get(url, headers=harness.admin_headers)).json()
    assert health["state"] == "action_needed"
    assert "upsales_key_missing" in [reason["code"] for reason in health["reasons"]]

    await _replace_key(harness, harness.demo.api_key)
    await run_now(harness)

    sent = await job(harness, deal_job)
    assert sent.status == JobStatus.DONE, sent.last_error
    assert len(fortnox_list(harness, "invoices")) == 1
    health = (await harness.service.get(url, headers=harness.admin_headers)).json()
    assert (health["state"], health["reasons"]) == ("ok", [])
