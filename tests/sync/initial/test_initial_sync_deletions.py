"""The initial import reads pages by number: an entity deleted from a page already read moves
every later entity one place toward the start, so the next page's first one slips onto the page
read before. The import sees the list shrink between two of its pages and reads that page again,
so the slipped entity is imported too, at no extra call while nothing is deleted."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.test_reconcile_paging import after_first_page
from tests.sync.initial.test_initial_sync_e2e import _links, _start, _status
from ufs_sandboxes.fortnox.resources.customers import delete_customer
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.vocabulary import FortnoxType, JobStatus

CUSTOMERS = [str(number) for number in range(1, 8)]
LIST = "GET /3/customers"


def first_page(url: httpx.URL) -> bool:
    """The import's first page (not the one list of the inactive customers before it)."""
    return url.params.get("page") == "1" and "filter" not in url.params


def seed(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": number, "Name": f"Kund {number} AB", "City": "Lund"}
            for number in CUSTOMERS
        ],
    )


async def imported_customers(harness: SyncHarness) -> set[str]:
    return {number for kind, number in await _links(harness) if kind == FortnoxType.CUSTOMER}


@pytest.mark.parametrize("gone", ["1", "2"], ids=["first-of-page", "last-of-page"])
async def test_a_customer_deleted_after_its_page_was_read_hides_no_other_customer(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, gone: str
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed(harness)

    def delete() -> None:
        delete_customer(harness.fortnox.tenant(harness.tenant_id), gone)

    with after_first_page(harness, "/customers", delete, read=first_page):
        await _start(harness)
        await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    # customer 3 slipped onto page 1 when the deleted one left it: imported all the same
    assert await imported_customers(harness) == set(CUSTOMERS)
    # the inactive customers' list, the three pages of the six left, and page 1 listed again
    assert harness.fortnox.request_counters().by_route[LIST] == 1 + 3 + 1


async def test_a_calm_list_is_read_at_one_call_a_page(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed(harness)

    await _start(harness)
    await harness.run_jobs()

    assert (await _status(harness))["status"] == JobStatus.DONE
    assert await imported_customers(harness) == set(CUSTOMERS)
    assert harness.fortnox.request_counters().by_route[LIST] == 1 + 4  # 1: the inactive ones


@pytest.mark.parametrize("refused", [False, True], ids=["empty-page", "refused-page"])
async def test_a_list_that_lost_its_last_page_meanwhile_is_imported_whole(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, refused: bool
) -> None:
    """Customers deleted from the first page after it was read leave the list one page short:
    the import asks for a page past the last, which Fortnox may answer empty or refuse
    (``facts.PAGE_PAST_THE_LAST_REFUSED``); either way the customers that slipped back onto
    the page read are imported and the import ends."""
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 4)
    seed(harness)  # 7 customers: pages [1 2 3 4] [5 6 7]
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.refuses_pages_past_the_last = refused

    def delete() -> None:
        for number in ("1", "2", "3"):
            delete_customer(tenant, number)

    with after_first_page(harness, "/customers", delete, read=first_page):
        await _start(harness)
        await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    assert await imported_customers(harness) == set(CUSTOMERS)
