"""A Fortnox payment event: sync the invoice the payment pays.

The event's ``entityId`` is the payment's number (:mod:`upsales_fortnox.intake.fortnox_events`),
so the job reads the payment (``GET /3/invoicepayments/{Number}``) and syncs the invoice named by
its ``InvoiceNumber`` with the invoice rule; it never treats the payment's number as an invoice's.
A payment Fortnox no longer has (deleted after the event) is skipped: its invoice cannot be known
from its number, and the invoice's own change is caught by its events and reconciliation. So is
one the token may not read (403 "no access to scope": an installation that logged in before the
``payment`` scope was asked for; a new login grants it), with its own reason for operators.
"""

from __future__ import annotations

import logging

from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import (
    CODE_NO_ACCESS_TO_SCOPE,
    FortnoxAuthError,
    FortnoxNotFound,
)
from upsales_fortnox.sync.inbound.document_sync import sync_document
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.results.inbound import PaymentSyncResult
from upsales_fortnox.vocabulary import FortnoxType

logger = logging.getLogger(__name__)


class PaymentWithoutInvoice(PermanentError):
    code = "payment_without_invoice"


async def sync_payment(job: InboundJob, payment_number: str) -> PaymentSyncResult:
    """Sync the invoice that payment ``payment_number`` pays; the job result."""
    try:
        payment = await job.context.fortnox.get_invoice_payment(payment_number)
    except FortnoxNotFound:
        return PaymentSyncResult(payment_number, reason="payment_not_found")
    except FortnoxAuthError as exc:
        if exc.fortnox_code != CODE_NO_ACCESS_TO_SCOPE:
            raise
        logger.warning("payment %s not read: the token lacks the payment scope", payment_number)
        return PaymentSyncResult(payment_number, reason="payment_scope_missing")
    invoice_number = payment.InvoiceNumber
    if invoice_number is None or invoice_number <= 0:
        raise PaymentWithoutInvoice(f"Fortnox payment {payment_number} names no invoice")
    synced = await sync_document(job, FortnoxType.INVOICE, str(invoice_number))
    return PaymentSyncResult(payment_number, synced)
