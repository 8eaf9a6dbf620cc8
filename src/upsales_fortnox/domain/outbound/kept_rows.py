"""What an order link keeps of the document the sync last wrote (its ``synced_fields``): each
row's ``RowId``, article and figures, and the customer (pure). With them the deal's next change
is one ``PUT``, unread; a link that keeps none has its document read first. A row's figures
(:func:`row_figures`) tell the deal's row from one of its article the bookkeeper added with
other figures (:func:`~.added_rows.added_in_fortnox`); a link kept before it kept them has
none."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from upsales_fortnox.domain.outbound.document_body import FortnoxDocument, document_rows
from upsales_fortnox.integrations.fortnox.models import DocumentRow, OrderRow

KEPT_ROWS: Final = "rows"
"""Key of the rows an order link keeps (its ``synced_fields``), see :func:`rows_to_keep`."""
KEPT_CUSTOMER: Final = "customer"
"""Key of the customer number an order link keeps, see :func:`rows_to_keep`."""
KEPT_IN_PART: Final = "delivered_in_part"
"""Key an order link holds (true) when a row of its order was delivered in part as the sync last
wrote it: the next change reads the order first (:mod:`.part_deliveries`)."""


def rows_to_keep(document: FortnoxDocument) -> dict[str, Any]:
    """What an order link keeps of the document the sync last wrote, as Fortnox answered the
    write: each row's ``RowId``, article and figures, and its customer. Fortnox gives every row
    a new ``RowId`` on every update, so these are the ids the next edit must name; with them the
    edit is one PUT, with no read first. The customer tells an edit that makes the document out to
    another one (:mod:`.customer_header`)."""
    return {
        KEPT_ROWS: [
            [row.RowId, row.ArticleNumber, row_figures(row)]
            for row in document_rows(document)
            if row.RowId is not None
        ],
        KEPT_CUSTOMER: document.CustomerNumber,
        **({KEPT_IN_PART: True} if _delivered_in_part(document) else {}),
    }


def _delivered_in_part(document: FortnoxDocument) -> bool:
    return any(
        isinstance(row, OrderRow)
        and row.DeliveredQuantity is not None
        and row.OrderedQuantity is not None
        and row.DeliveredQuantity < row.OrderedQuantity
        for row in document_rows(document)
    )


def read_before_update(synced_fields: Mapping[str, Any] | None) -> bool:
    """Whether the deal's next change reads its document first although the link keeps its
    rows: a row of the order was delivered in part (the rows kept do not say how much)."""
    return bool((synced_fields or {}).get(KEPT_IN_PART))


def kept_customer(synced_fields: Mapping[str, Any] | None) -> str | None:
    """The customer number an order link keeps, or None when it keeps none (a link saved
    before links kept it, or one that keeps no rows)."""
    number = (synced_fields or {}).get(KEPT_CUSTOMER)
    return number if isinstance(number, str) and number else None


def kept_rows(synced_fields: Mapping[str, Any] | None) -> list[tuple[int, str | None]] | None:
    """The rows an order link keeps, or None when it keeps none (a link made by hand, by the
    Fortnox → Upsales sync, or by a version that kept none): then the document is read first."""
    if synced_fields is None or not isinstance(synced_fields.get(KEPT_ROWS), list):
        return None
    kept: list[tuple[int, str | None]] = []
    for item in synced_fields[KEPT_ROWS]:
        if not (isinstance(item, list) and len(item) in (2, 3) and isinstance(item[0], int)):
            return None
        kept.append((item[0], item[1] if isinstance(item[1], str) else None))
    return kept


def kept_figures(synced_fields: Mapping[str, Any] | None) -> list[str | None]:
    """The figures of each row :func:`kept_rows` gives (None for a row kept without them)."""
    rows = (synced_fields or {}).get(KEPT_ROWS)
    if not isinstance(rows, list):
        return []
    return [
        item[2] if isinstance(item, list) and len(item) == 3 and isinstance(item[2], str) else None
        for item in rows
    ]


def _figure(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def row_figures(row: DocumentRow) -> str:
    """A row's quantity, price and discount as one text, numbers as values (``2.00`` is
    ``2``)."""
    quantity = (
        row.OrderedQuantity
        if isinstance(row, OrderRow)
        else getattr(row, "DeliveredQuantity", None)
    )
    figures = (quantity, row.Price, row.Discount)
    return "|".join([*map(_figure, figures), row.DiscountType or ""])
