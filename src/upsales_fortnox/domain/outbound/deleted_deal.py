"""A won deal deleted in Upsales whose invoice or order exists in Fortnox (pure).

Nothing is deleted or cancelled in Fortnox for it, not even a draft: an invoice may be sent or
booked already (a booked one may only be credited), and whether the deal is really off is the
bookkeeper's call, as for a deal moved back from won (``order_not_won``). The document's link
is kept, so the deal restored (or saved again under its id) updates that document rather than
create a second one. An invoice or order an earlier attempt made that no link names yet (the
process died between Fortnox's answer and the link) is told of alike (it stays unlinked: the
deal restored finds it by its reference, as any retry of that attempt would). The job says so
with a stable code, ``order_deleted_document_kept``, naming the document; the sales rep's
status and the bookkeeper's reconciliation report say it in words of the catalogue.
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
from upsales_fortnox.vocabulary import FortnoxType


@dataclass(frozen=True)
class DeletedDeal:
    reason: str
    """The job's ``reason``: its code, then words for operators."""
    kept: tuple[FortnoxType, str] | None
    """The live invoice or order left in Fortnox, if any: its type and number."""


def deleted_deal(
    links: Sequence[LinkView], earlier: tuple[FortnoxType, str] | None = None
) -> DeletedDeal:
    """What the deleted deal's job says, from the order's links (in the order they were made):
    its live invoice, else its live order (an order invoiced in Fortnox is named by its invoice);
    ``earlier``: the document an earlier attempt made that no link names (found by its
    reference only when no live link names one)."""
    sent = [link for link in deal_documents(links).live if link.fortnox_type in SENT_AS]
    # an order invoiced can no longer be cancelled: its invoice is the one to credit
    invoices = [link for link in sent if link.fortnox_type is FortnoxType.INVOICE]
    named = invoices or sent
    linked = named[0] if named else None
    kept = (linked.fortnox_type, linked.fortnox_id) if linked is not None else earlier
    if kept is None:
        return DeletedDeal(ORDER_DELETED_REASON, None)
    document = f"{kept[0].value} {kept[1]}"
    stays = " and stays linked" if linked is not None else ""
    detail = (
        f"the order was deleted in Upsales; Fortnox {document} is left as it is{stays}: "
        f"cancel it in Fortnox (credit it, if booked) should the deal not happen"
    )
    return DeletedDeal(skip_reason(ORDER_DELETED_DOCUMENT_KEPT, detail), kept)
