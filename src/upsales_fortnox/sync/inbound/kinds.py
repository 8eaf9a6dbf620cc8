"""The job kinds inbound sync handles.

The first five are queued by the event intake (one per Fortnox entity, ``entity_id`` = its
number); ``reprice_products`` by :func:`.reprice.enqueue_reprice`.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.db.models import FortnoxType

FORTNOX_CUSTOMER: Final = "fortnox.customer"
FORTNOX_ARTICLE: Final = "fortnox.article"
FORTNOX_ORDER: Final = "fortnox.order"
FORTNOX_INVOICE: Final = "fortnox.invoice"
FORTNOX_OFFER: Final = "fortnox.offer"
REPRICE_PRODUCTS: Final = "reprice_products"

DOCUMENT_KINDS: Final = {
    FORTNOX_ORDER: FortnoxType.ORDER,
    FORTNOX_INVOICE: FortnoxType.INVOICE,
    FORTNOX_OFFER: FortnoxType.OFFER,
}
