"""A won deal deleted in Upsales whose invoice or order exists in Fortnox (pure).

Nothing is deleted or cancelled in Fortnox for it, not even a draft: an invoice may be sent or
booked already (a booked one may only be credited), and whether the deal is really off is the
bookkeeper's call, as for a deal moved back from won (``order_not_won``). The document's link
is kept, so the deal restored (or saved again under its id) updates that document rather than
create a second one. The job says so with a stable code, ``order_deleted_document_kept``,
naming the document; the sales rep's status and the bookkeeper's reconciliation report say it
in words of the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.deal_documents import SENT_AS, deal_documents
from upsales_fortnox.domain.outbound.order_gate import (
    ORDER_DELETED_DOCUMENT_KEPT,
    ORDER_DELETED_REASON,
    skip_reason,
)


@dataclass(frozen=True)
class DeletedDeal:
    reason: str
    """The job's ``reason``: its code, then words for operators."""
    kept: LinkView | None
    """The live invoice or order left in Fortnox, if any."""


def deleted_deal(links: Sequence[LinkView]) -> DeletedDeal:
    """What the deleted deal's job says, from the order's links (in the order they were made)."""
    live = deal_documents(links).live
    kept = next((link for link in live if link.fortnox_type in SENT_AS), None)
    if kept is None:
        return DeletedDeal(ORDER_DELETED_REASON, None)
    document = f"{kept.fortnox_type.value} {kept.fortnox_id}"
    detail = (
        f"the order was deleted in Upsales; Fortnox {document} is left as it is and stays "
        f"linked: cancel it in Fortnox (credit it, if booked) should the deal not happen"
    )
    return DeletedDeal(skip_reason(ORDER_DELETED_DOCUMENT_KEPT, detail), kept)
