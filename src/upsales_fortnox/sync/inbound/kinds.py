"""The job kinds inbound sync handles.

The first six are queued by the event intake (one per Fortnox entity, ``entity_id`` = its
number); ``reprice_products`` by :func:`.reprice.enqueue_reprice`.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.intake.routing import (
    JOB_FORTNOX_ARTICLE,
    JOB_FORTNOX_CUSTOMER,
    JOB_FORTNOX_INVOICE,
    JOB_FORTNOX_INVOICE_PAYMENT,
    JOB_FORTNOX_INVOICE_PAYMENT_DELETED,
    JOB_FORTNOX_OFFER,
    JOB_FORTNOX_ORDER,
)
from upsales_fortnox.vocabulary import FortnoxType

FORTNOX_CUSTOMER: Final = JOB_FORTNOX_CUSTOMER
FORTNOX_ARTICLE: Final = JOB_FORTNOX_ARTICLE
FORTNOX_ORDER: Final = JOB_FORTNOX_ORDER
FORTNOX_INVOICE: Final = JOB_FORTNOX_INVOICE
FORTNOX_OFFER: Final = JOB_FORTNOX_OFFER
FORTNOX_INVOICE_PAYMENT: Final = JOB_FORTNOX_INVOICE_PAYMENT
"""``entity_id`` = the payment's number; syncs the invoice it pays."""
FORTNOX_INVOICE_PAYMENT_DELETED: Final = JOB_FORTNOX_INVOICE_PAYMENT_DELETED
"""``entity_id`` = the deleted payment's number; re-syncs the invoice it paid."""
REPRICE_PRODUCTS: Final = "reprice_products"

DOCUMENT_KINDS: Final = {
    FORTNOX_ORDER: FortnoxType.ORDER,
    FORTNOX_INVOICE: FortnoxType.INVOICE,
    FORTNOX_OFFER: FortnoxType.OFFER,
}
