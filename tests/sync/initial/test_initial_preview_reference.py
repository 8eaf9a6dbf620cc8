"""Without ``placeholderUser``, a document whose "Vår referens" names no Upsales user cannot be
imported: the preview says so as the import then does, instead of counting it as created."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import seed_overlap
from tests.sync.initial.test_initial_sync_e2e import _start, _status
from upsales_fortnox.vocabulary import JobStatus


async def test_the_preview_counts_the_documents_no_user_would_take_as_failed(
    harness: SyncHarness,
) -> None:
    seed_overlap(harness)  # invoices 1-3 of linked customers, none with "Vår referens"
    users = harness.upsales_entities("users")
    admin = next(user for user in users if user["id"] == harness.demo.admin_user_id)
    harness.fortnox.seed(
        harness.tenant_id,
        invoices=[
            {
                "CustomerNumber": "1",
                "InvoiceDate": "2026-10-03",
                "OurReference": admin["name"],
                "InvoiceRows": [{"ArticleNumber": "KONS-1", "DeliveredQuantity": 1, "Price": 9}],
            }
        ],
    )
    await harness.update_settings(placeholder_user=None)

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 200, response.text
    (invoices,) = [phase for phase in response.json()["phases"] if phase["phase"] == "invoices"]
    assert (invoices["counts"]["created"], invoices["counts"]["failed"]) == (1, 3)
    assert "placeholderUser" in invoices["samples"]["failed"][0]["reason"]

    await _start(harness)
    await harness.run_jobs()
    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    (imported,) = [phase for phase in status["phases"] if phase["phase"] == "invoices"]
    assert imported["counts"] == invoices["counts"]
