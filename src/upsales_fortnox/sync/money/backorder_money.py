"""A backorder of a deal's rest changed in Fortnox (made, edited, cancelled, invoiced): the
deal's money shown afresh, since what the backorder still holds is left to pay while it is open
(:mod:`.deal_parts`). Its own events (the ``orders`` topic) are often the only ones that tell:
cancelling or editing a backorder touches no invoice.

A backorder carrying the deal's reference (``facts.BACKORDER_KEEPS_ORDER_REFERENCE``) of a deal
that links an invoice re-reads that invoice as the refresh of the linked orders does
(:func:`~.invoice_money.read_payment_state`: the invoice, its credit invoice when it names one,
its payments when something was booked, and the deal's other parts, the backorder itself not
read again) and writes the deal's fields when they change. Any other order costs nothing more
than its own read.
"""

from __future__ import annotations

from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.deal_parts import linked_invoice
from upsales_fortnox.sync.money.invoice_money import (
    fortnox_today,
    read_payment_state,
    scope_missing,
    written_state,
)
from upsales_fortnox.sync.results.inbound import SKIP, PaymentStatusWritten


async def sync_backorder_money(job: InboundJob, order: Order) -> PaymentStatusWritten | None:
    """Write the money of the deal whose rest ``order`` holds; what was done, for the job
    result (None when ``paymentStatus`` is off or ``order`` is no backorder of a deal)."""
    if not job.context.settings.payment_status or not order.is_backorder:
        return None
    deal_id = parse_order_reference(order.ExternalInvoiceReference1)
    if deal_id is None:
        return None
    linked = await linked_invoice(job, deal_id)
    if linked is None:  # nothing of the deal invoiced yet: it shows no money
        return PaymentStatusWritten(SKIP, reason="deal_not_invoiced")
    try:
        state = await read_payment_state(job, linked, deal_id, today=fortnox_today(), read=order)
    except FortnoxAuthError as exc:
        return scope_missing(exc)
    if state is None:
        return PaymentStatusWritten(SKIP, reason="invoice_not_linked")
    return await written_state(job, deal_id, state)
