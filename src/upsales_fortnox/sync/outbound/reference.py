"""How a Fortnox document names the Upsales order it was made from.

The reference is written to ``ExternalInvoiceReference1`` as ``upsales-order:<id>``. Before a
document is created, the sync searches Fortnox for one carrying the order's reference, so a
retry after a crash (document created, link not stored) or a lost link finds the document
instead of making a second one.
Fortnox's list search on that field (``?externalinvoicereference1=...``) is *unverified*: the
reference lists field searches in general, not this one. Its name is kept here, in
:data:`ORDER_REFERENCE_SEARCH_PARAMETER`; the search matches substrings, so callers compare the
field exactly afterwards.
"""

from __future__ import annotations

import re
from typing import Final

ORDER_REFERENCE_FIELD: Final = "ExternalInvoiceReference1"
ORDER_REFERENCE_SEARCH_PARAMETER: Final = "externalinvoicereference1"
"""*Unverified* search parameter of ``/3/orders`` and ``/3/invoices``."""
ORDER_REFERENCE_PREFIX: Final = "upsales-order:"

_REFERENCE = re.compile(re.escape(ORDER_REFERENCE_PREFIX) + r"(\d{1,19})")


def order_reference(order_id: int) -> str:
    return f"{ORDER_REFERENCE_PREFIX}{order_id}"


def parse_order_reference(text: str | None) -> int | None:
    """The Upsales order id in a document's reference field, or None when it names none."""
    match = _REFERENCE.fullmatch((text or "").strip())
    return int(match.group(1)) if match else None
