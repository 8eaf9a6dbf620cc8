"""A sales rep's edit of a linked company reaches Fortnox whatever else the bookkeeper keeps on
the customer: only what the edit sends is checked."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import dead_jobs, settle
from tests.e2e.test_company_link_edits import bookkeeper_adds, edit_company


async def test_a_phone_edit_reaches_a_customer_with_a_foreign_number_and_no_country(
    harness: SyncHarness,
) -> None:
    harness.connect_upsales_hooks()
    link = await bookkeeper_adds(
        harness, "7", {"Name": "Fjord Fisk AS", "OrganisationNumber": "987654321"}
    )

    edit_company(harness, link.upsales_id, {"phone": "+47 55 00 00 00"})
    await settle(harness)

    assert await dead_jobs(harness) == []
    in_fortnox = harness.fortnox_entity("customers", "7")
    assert in_fortnox is not None
    assert (in_fortnox["Phone1"], in_fortnox["OrganisationNumber"]) == (
        "+47 55 00 00 00",
        "987654321",
    )
