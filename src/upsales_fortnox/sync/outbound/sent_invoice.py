"""A deal's change written to an invoice the customer was sent already.

Fortnox takes changes to an invoice until it is booked, also once it was e-mailed, printed or
marked sent (``Sent``). The sales rep's change then reaches the invoice in Fortnox while the
customer holds the earlier one, so the job's result says so (reason
:mod:`~upsales_fortnox.domain.outbound.changed_after_sent`), the order's status asks the sales
rep to have the bookkeeper send it again (or credit it), and a warning log line under that code
tells operators. It costs no call: Fortnox's answer to the update says whether it was sent
(``facts.SENT_STAYS_SET_ON_UPDATE``, *unverified*).
"""

from __future__ import annotations

import logging

from upsales_fortnox.domain.outbound.changed_after_sent import (
    INVOICE_CHANGED_AFTER_SENT,
    sent_before_change,
)
from upsales_fortnox.domain.outbound.document_body import FortnoxDocument
from upsales_fortnox.domain.outbound.order_gate import skip_reason

logger = logging.getLogger(__name__)


def changed_after_sent(decision: object, written: FortnoxDocument | None) -> str | None:
    """The result's reason when ``decision`` updated an invoice ``written`` shows sent."""
    if not sent_before_change(decision, written) or written is None:
        return None
    number = written.DocumentNumber
    logger.warning(
        "a won deal's change was written to Fortnox invoice %s, sent to the customer before",
        number,
        extra={"code": INVOICE_CHANGED_AFTER_SENT, "fortnox_invoice": number},
    )
    return skip_reason(
        INVOICE_CHANGED_AFTER_SENT,
        f"Fortnox invoice {number} had been sent to the customer before this change",
    )
