"""Lists read page by page without ``sortby`` come in an order no source documents, nor says
holds from one call to the next (``facts.UNSORTED_LIST_ORDER``). Where Fortnox moves an entity
to the front as it changes, one changed between two page reads would be missed: the searches
that read several pages ask for the register's number order instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import context_of
from tests.e2e.test_reconcile_paging import after_first_page
from ufs_sandboxes.fortnox.resources.document_kinds import ORDERS
from ufs_sandboxes.fortnox.resources.documents import update_document
from upsales_fortnox.domain.outbound.reference import order_reference
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.integrations.fortnox.models import Order, OrderRow
from upsales_fortnox.sync.outbound.fortnox_documents import find_document_by_reference
from upsales_fortnox.vocabulary import FortnoxType


async def test_a_document_changed_while_its_reference_is_searched_is_found(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search for deal 1's order also lists deals 10 and 11's (a substring search), over
    two pages; deal 1's order, changed after the first page was read, is found all the same,
    so a retried create does not make it twice."""
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.lists_unsorted_last_changed_first = True
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    context = await context_of(harness)
    numbers = {}
    for deal in (1, 10, 11):
        created = await context.fortnox.create_order(
            Order(
                CustomerNumber="1001",
                ExternalInvoiceReference1=order_reference(deal),
                OrderRows=[OrderRow(ArticleNumber="KONS-1", OrderedQuantity=Decimal(1))],
            )
        )
        numbers[deal] = str(created.DocumentNumber)

    def change() -> None:
        update_document(tenant, ORDERS, numbers[1], {"Remarks": "Ändrad"})

    with after_first_page(harness, "/orders", change):
        found = await find_document_by_reference(
            context.fortnox, FortnoxType.ORDER, 1, credit_invoices=False
        )

    assert found is not None and str(found.DocumentNumber) == numbers[1]
