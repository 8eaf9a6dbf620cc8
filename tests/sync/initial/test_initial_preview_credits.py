"""The preview judges documents from their list items, which do not say whether an invoice is
a credit invoice: it still counts them as the import does (skipped, never imported)."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call
from tests.sync.initial.scenario import seed_overlap
from tests.sync.initial.test_initial_sync_e2e import _start, _status
from upsales_fortnox.vocabulary import JobStatus

INVOICE_READ = "GET /3/invoices/{DocumentNumber}"


async def test_the_preview_skips_credit_invoices_as_the_import_does(harness: SyncHarness) -> None:
    seed_overlap(harness)
    credited = await fortnox_call(harness, "PUT", "/invoices/1/credit")
    credit_number = str(credited["Invoice"]["CreditInvoiceReference"])
    harness.fortnox.reset_counters()

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 200, response.text
    (invoices,) = [phase for phase in response.json()["phases"] if phase["phase"] == "invoices"]
    skipped = {item["fortnox_id"]: item["reason"] for item in invoices["samples"]["skipped"]}
    assert skipped[credit_number] == "credit_invoice"
    assert credit_number not in {item["fortnox_id"] for item in invoices["samples"]["created"]}
    # only the invoice whose list item could be a credit invoice is read
    assert harness.fortnox.request_counters().by_route.get(INVOICE_READ) == 1

    await _start(harness)
    await harness.run_jobs()
    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    (imported,) = [phase for phase in status["phases"] if phase["phase"] == "invoices"]
    assert imported["counts"] == invoices["counts"]
