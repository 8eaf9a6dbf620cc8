"""Whether an Upsales order is a won deal to send at all, and why not (pure).

A won-deal job that sends nothing says why in its result's ``reason``: a stable code first
(``order_not_won: the order is at 50 %; …``), words for operators after it, as a dead job's
error does. The sales rep never reads those words: the order's status in Upsales
(``app_status_order``) gives the code and a text of the catalogue for it.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.domain.outbound.changed_after_sent import INVOICE_CHANGED_AFTER_SENT
from upsales_fortnox.domain.sync_commands import NoChange
from upsales_fortnox.integrations.upsales.models import Order

WON_PROBABILITY: Final = 100

ORDER_NOT_WON: Final = "order_not_won"
"""The order is below 100 %: only won deals are sent."""
ORDER_WITHOUT_COMPANY: Final = "order_without_company"
"""The order names no company to make the document out to."""
ORDER_DELETED: Final = "order_deleted"
"""The order no longer exists in Upsales."""
ORDER_DELETED_DOCUMENT_KEPT: Final = "order_deleted_document_kept"
"""The order was deleted in Upsales while its invoice or order lives in Fortnox, which is left
as it is (see :mod:`.deleted_deal`)."""

DOCUMENT_MADE_IN_FORTNOX: Final = "document_made_in_fortnox"
"""The deal's invoice or order was made in Fortnox (imported): Upsales changes are not sent
to it (:func:`~.document_decision.made_in_fortnox`)."""

SKIP_CODES: Final = frozenset(
    {ORDER_NOT_WON, ORDER_WITHOUT_COMPANY, ORDER_DELETED, ORDER_DELETED_DOCUMENT_KEPT}
)
REASON_CODES: Final = SKIP_CODES | {INVOICE_CHANGED_AFTER_SENT, DOCUMENT_MADE_IN_FORTNOX}
"""The codes a won-deal job's result may give its ``reason`` (a deal skipped, or sent with a
word for the sales rep)."""


def skip_reason(code: str, detail: str) -> str:
    """A skipped deal's ``reason``: its code, then words for operators."""
    return f"{code}: {detail}"


def reason_code(reason: str | None) -> str | None:
    """The code a won-deal job's ``reason`` starts with, when it is one of
    :data:`REASON_CODES`."""
    code = (reason or "").split(":", 1)[0].strip()
    return code if code in REASON_CODES else None


ORDER_DELETED_REASON: Final = skip_reason(ORDER_DELETED, "the order no longer exists in Upsales")


def order_gate(order: Order) -> NoChange | None:
    """Why the order is not sent at all, or None when it is a won deal to send."""
    if order.probability != WON_PROBABILITY:
        detail = f"the order is at {order.probability} %; only won orders (100 %) are sent"
        return NoChange(skip_reason(ORDER_NOT_WON, detail + " to Fortnox"))
    if order.client is None:
        return NoChange(skip_reason(ORDER_WITHOUT_COMPANY, "the order has no company"))
    return None
