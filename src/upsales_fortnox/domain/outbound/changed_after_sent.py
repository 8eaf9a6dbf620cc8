"""A deal's change written to an invoice sent to the customer before (pure).

Fortnox takes changes to an invoice until it is booked, also once it was e-mailed, printed or
marked sent (``Sent``), and then the customer holds the earlier one. Fortnox's answer to the
update says it was sent (``facts.SENT_STAYS_SET_ON_UPDATE``, *unverified*), so the job's result
gives :data:`INVOICE_CHANGED_AFTER_SENT` as its reason and the order link keeps a mark of it
(:data:`KEPT_CHANGED_AFTER_SENT`), which the order's status reads until the deal's next change
is written: a later sync that changes nothing leaves the word in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import Invoice

INVOICE_CHANGED_AFTER_SENT: Final = "invoice_changed_after_sent"
"""The deal's change was written to its invoice, which had been sent to the customer before
(not booked, so Fortnox took it): the customer holds the earlier one."""
KEPT_CHANGED_AFTER_SENT: Final = "changed_after_sent"
"""Key an order link holds (true) when the sync's last write changed an invoice sent before."""


def sent_before_change(decision: object, written: object) -> bool:
    """Whether ``decision`` updated an invoice that Fortnox's answer ``written`` shows sent."""
    return (
        isinstance(decision, UpdateFortnoxDocument)
        and isinstance(written, Invoice)
        and bool(written.Sent)
    )


def changed_after_sent_kept(decision: object, written: object) -> dict[str, Any]:
    """What the order link keeps of it (nothing when the write was no such change)."""
    return {KEPT_CHANGED_AFTER_SENT: True} if sent_before_change(decision, written) else {}


def marked_changed_after_sent(synced_fields: Mapping[str, Any] | None) -> bool:
    """Whether the sync's last write, as the order link keeps it, changed an invoice sent before."""
    return bool((synced_fields or {}).get(KEPT_CHANGED_AFTER_SENT))
