"""The payment status of a deal that Fortnox invoiced in two parts (an order invoiced in part,
its backorder invoiced in turn), end to end against both sandboxes.

Only the first invoice is linked to the deal, so its money alone reaches the order: with that
part paid and the rest unpaid the order reads paid, nothing left. A bookkeeper reads the deal
as partly paid, the second invoice's total left. Known and not fixed yet: the test says what
the order should show and fails until the money of every invoice of the deal is counted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, link_of
from tests.e2e.partly_invoiced_support import partly_invoiced
from tests.e2e.test_inbound_payments import pay
from tests.e2e.test_payment_status import DAY, expected, payment_fields
from upsales_fortnox.vocabulary import FortnoxType


def total_of(harness: SyncHarness, number: int) -> Decimal:
    invoice = harness.fortnox_entity("invoices", str(number))
    assert invoice is not None
    return Decimal(str(invoice["Total"]))


@pytest.mark.xfail(
    strict=True, reason="only the deal's first invoice is linked; its rest's invoice is not counted"
)
async def test_a_deal_invoiced_in_two_parts_with_one_paid_reads_partly_paid(
    linked: SyncHarness,
) -> None:
    harness = linked
    await harness.update_settings(payment_status=True)
    deal = await partly_invoiced(harness, rest_invoiced=True)
    assert await link_of(harness, FortnoxType.INVOICE, str(deal.invoice)) is not None
    for number in (deal.invoice, deal.rest):
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    first, rest = total_of(harness, deal.invoice), total_of(harness, deal.rest)
    await pay(harness, str(deal.invoice), str(first))
    await EventFeed(harness).sync()

    assert payment_fields(harness, harness.demo.opportunity_id) == expected(
        "partly_paid", f"{first:.2f}", f"{rest:.2f}", DAY
    )
