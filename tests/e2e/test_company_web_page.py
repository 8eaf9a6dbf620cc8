"""The company's web page both ways: a sales rep's edit reaches the Fortnox customer, and the
bookkeeper's edit of another field leaves it in Upsales."""

from __future__ import annotations

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import context_of, settle
from tests.e2e.test_company_link_edits import bookkeeper_adds, edit_company
from upsales_fortnox.integrations.fortnox.models import Customer

SITE = "https://www.åkesbygg.se"


async def test_a_web_page_set_in_upsales_reaches_fortnox_and_survives_a_bookkeepers_edit(
    harness: SyncHarness,
) -> None:
    harness.connect_upsales_hooks()
    link = await bookkeeper_adds(harness, "7", {"Name": "Åkes Bygg AB", "Phone1": "08-1"})

    edit_company(harness, link.upsales_id, {"webpage": SITE})
    await settle(harness)
    in_fortnox = harness.fortnox_entity("customers", "7")
    assert in_fortnox is not None and in_fortnox["WWW"] == SITE

    context = await context_of(harness)
    await context.fortnox.update_customer("7", Customer(Phone1="08-2"))
    await settle(harness)
    company = harness.upsales_entity("accounts", link.upsales_id)
    assert company is not None
    assert (company["phone"], company["webpage"]) == ("08-2", SITE)
