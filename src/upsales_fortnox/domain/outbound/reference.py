"""How a Fortnox document names the Upsales order it was made from.

The reference (:func:`~upsales_fortnox.domain.references.outbound_reference`,
``upsales-order:<id>``, shared with the Fortnox → Upsales sync, which leaves such documents
alone) is written to ``ExternalInvoiceReference1``. When an earlier attempt recorded its
intent to create the order's document but no link (:mod:`.intents`), the sync searches Fortnox
for one carrying the order's reference first, so a retry after a crash (document created, link
not stored), a timeout or a lost link finds the document instead of making a second one.

Fortnox's spec declares the list search on that field (``?externalinvoicereference1=...``) on
``/3/orders`` and ``/3/invoices`` (``facts.ORDER_REFERENCE_SEARCH_PARAMETER``); field searches
match substrings, so callers compare the field exactly afterwards.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.domain.references import outbound_reference, parse_outbound_reference
from upsales_fortnox.integrations.fortnox.facts import ORDER_REFERENCE_SEARCH_PARAMETER

ORDER_REFERENCE_FIELD: Final = "ExternalInvoiceReference1"

__all__ = [
    "ORDER_REFERENCE_FIELD",
    "ORDER_REFERENCE_SEARCH_PARAMETER",
    "order_reference",
    "parse_order_reference",
]

order_reference = outbound_reference
parse_order_reference = parse_outbound_reference
