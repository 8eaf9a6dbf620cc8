"""A deleted Fortnox payment: re-sync the one invoice it paid.

The ``invoicepayment-deleted-v1`` event names only the payment, which Fortnox no longer has, and
``GET /3/invoicepayments`` filters by invoice, not by payment. The invoice it paid is in our own
record: every listing of a linked invoice's booked payments remembers the invoice each pays
(``seen_payments``, :func:`~.invoice_money.booked_payments`), whichever sync listed them (the
invoice's own event, the payment's bookkeeping event, reconciliation, the refresh of the linked
orders). A payment synced before that record was kept is found in the result of the
``fortnox.invoicepayment`` job that synced its bookkeeping event (``fortnox_invoice``). So the
deletion costs no Fortnox call to find its invoice, and re-reading that one invoice (and its
payments) reverts the order's payment fields: two calls, never a scan of every linked invoice.
The record is dropped then, unless that re-read still listed the payment (a late event).

A payment no listing ever showed booked (one deleted before bookkeeping never changed a
balance, or one of an invoice we never linked) is recorded and ignored, with no Fortnox call.
So is every deletion while ``paymentStatus`` is off.
"""

from __future__ import annotations

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.jobs.results import JsonObject, ResultShapeError
from upsales_fortnox.sync.inbound.document_sync import sync_document
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.repository.seen_payments import forget_payment, seen_invoice
from upsales_fortnox.sync.repository.sync_job_reads import done_job_results
from upsales_fortnox.sync.results.inbound import PaymentSyncResult
from upsales_fortnox.vocabulary import FortnoxType, JobKind


async def paid_invoice(job: InboundJob, payment_number: str) -> str | None:
    """The invoice number a listing of its invoice's payments, or our last synced bookkeeping
    of the payment, found it paying, if any."""
    async with job.session_factory() as session:
        seen = await seen_invoice(session, job.installation_id, payment_number)
        if seen is not None and parse_digits(seen) is not None:
            return seen
        results = await done_job_results(
            session, job.installation_id, JobKind.FORTNOX_INVOICE_PAYMENT, payment_number
        )
    for stored in results:
        number = _invoice_paid(stored)
        if number is not None and parse_digits(number) is not None:
            return number
    return None


def _invoice_paid(stored: JsonObject | None) -> str | None:
    """The invoice a stored payment result synced, if it names one."""
    try:
        synced = PaymentSyncResult.from_json(stored or {})
    except ResultShapeError:
        return None
    invoice = synced.invoice
    if invoice is None or invoice.document.fortnox_type is not FortnoxType.INVOICE:
        return None
    return invoice.document.number


async def sync_deleted_payment(job: InboundJob, payment_number: str) -> PaymentSyncResult:
    """The job result of a payment-deleted event."""
    if not job.context.settings.payment_status:
        return PaymentSyncResult(payment_number, reason="payment_status_off")
    invoice_number = await paid_invoice(job, payment_number)
    if invoice_number is None:
        return PaymentSyncResult(payment_number, reason="payment_never_synced")
    started = utcnow()
    synced = await sync_document(job, FortnoxType.INVOICE, invoice_number)
    await forget_payment(job.session_factory, job.installation_id, payment_number, started)
    return PaymentSyncResult(payment_number, synced)
