"""How a Fortnox document names the Upsales order it was made from.

The reference (:func:`~upsales_fortnox.sync.references.outbound_reference`,
``upsales-order:<id>``, shared with the Fortnox → Upsales sync, which leaves such documents
alone) is written to ``ExternalInvoiceReference1``. Before a document is created, the sync
searches Fortnox for one carrying the order's reference, so a retry after a crash (document
created, link not stored) or a lost link finds the document instead of making a second one.

Fortnox's list search on that field (``?externalinvoicereference1=...``) is *unverified*: the
reference lists field searches in general, not this one. Its name is kept here, in
:data:`ORDER_REFERENCE_SEARCH_PARAMETER`; the search matches substrings, so callers compare the
field exactly afterwards.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.sync.references import outbound_reference, parse_outbound_reference

ORDER_REFERENCE_FIELD: Final = "ExternalInvoiceReference1"
ORDER_REFERENCE_SEARCH_PARAMETER: Final = "externalinvoicereference1"
"""*Unverified* search parameter of ``/3/orders`` and ``/3/invoices``."""

order_reference = outbound_reference
parse_order_reference = parse_outbound_reference
