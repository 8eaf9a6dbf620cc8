"""What an order row's ``DeliveredQuantity`` is sent as when the deal changes (pure).

The sync sends an order's rows fully delivered (``DeliveredQuantity`` its ``OrderedQuantity``),
so that the bookkeeper's "Skapa faktura" invoices the whole deal. A bookkeeper who delivers
part of a row now (the rest later: a backorder once the order is invoiced) lowers its
delivered quantity, which no Upsales field holds, and an update of the deal's rows sent fully
delivered again would bill goods never shipped. So a row the bookkeeper delivered in part
keeps its delivered quantity (at most the row's new quantity); every other row is sent fully
delivered, as it was. Rows are matched by article, so a row of an article the deal or the order
has more than one row of is sent fully delivered too: a row removed beside it could otherwise
hand its delivery to another.

Fortnox gives every row a new ``RowId`` on each update, so what the bookkeeper changed since the
sync's last write is seen in a read of the document: the update built on the rows the link
keeps names rows that are gone, is refused, and the document is read and decided on again.
Once the sync wrote a row delivered in part, its link says so and the next change reads the
order first (:func:`~.kept_rows.read_before_update`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from upsales_fortnox.domain.outbound.document_body import FortnoxDocument
from upsales_fortnox.domain.outbound.rows import PlannedRow
from upsales_fortnox.integrations.fortnox.models import Order, OrderRow

ZERO = Decimal(0)


def _delivered_in_part(existing: OrderRow | None, quantity: Decimal) -> Decimal | None:
    """The delivered quantity ``existing`` keeps as the deal's row of ``quantity``, or None
    when it is sent fully delivered (it was so, it is new, or a quantity is below zero)."""
    if existing is None:
        return None
    delivered, ordered = existing.DeliveredQuantity, existing.OrderedQuantity
    if delivered is None or ordered is None or quantity < ZERO:
        return None
    return min(delivered, quantity) if ZERO <= delivered < ordered else None


def _alone(articles: Iterable[str]) -> set[str]:
    """The articles named once."""
    counts = Counter(articles)
    return {article for article, count in counts.items() if count == 1}


def keep_deliveries(
    document: FortnoxDocument,
    rows: Sequence[PlannedRow],
    row_ids: Sequence[int | None],
    read: FortnoxDocument | None,
) -> FortnoxDocument:
    """The update's ``document`` (the deal's ``rows`` last, as the rows ``row_ids`` name)
    with the part deliveries the order ``read`` shows kept (see the module's note)."""
    if not isinstance(document, Order) or not isinstance(read, Order):
        return document
    existing = {row.RowId: row for row in read.OrderRows or () if row.RowId is not None}
    alone = _alone(row.article_number for row in rows) & _alone(
        row.ArticleNumber or "" for row in read.OrderRows or ()
    )
    sent = list(document.OrderRows or ())
    first = len(sent) - len(rows)  # a row held as it is goes before the deal's
    changed = False
    for position, row in enumerate(rows):
        row_id = row_ids[position] if position < len(row_ids) else None
        now = existing.get(row_id) if row_id and row.article_number in alone else None
        kept = _delivered_in_part(now, row.quantity)
        if kept is not None:
            sent[first + position] = sent[first + position].model_copy(
                update={"DeliveredQuantity": kept}
            )
            changed = True
    return document.model_copy(update={"OrderRows": sent}) if changed else document
