"""Rows the bookkeeper added in Fortnox to a document the sync wrote (pure).

A won deal's document holds the deal's rows. A row the bookkeeper adds to it in Fortnox
(freight, a fee, a text row) has no place in the deal, so an update of the deal's rows names it
by its ``RowId`` alone and it stays as it is (a row an update leaves out is removed). Such rows
are the document's rows beyond the rows the sync's last write left there, counted by article
(for an article with more rows than that write left, the last ones), and never more rows than
the document has beyond that write's: a row of the deal the bookkeeper gave another article
replaced it, and the update makes it the deal's again. The link keeps them (``theirs``) beside
the rows of its write, so the next update keeps them without reading the document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.document_body import (
    KEPT_ROWS,
    FortnoxDocument,
    kept_rows,
    rows_to_keep,
)
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, OrderRow

KEPT_THEIRS: Final = "theirs"
"""Key of the bookkeeper's rows an order link keeps (``[RowId, article]`` each)."""

Row = tuple[int, str | None]
"""A document row as kept: its ``RowId`` and article."""


def _article(article: str | None) -> str:
    return article or ""


def added_in_fortnox(existing: Sequence[Row], written: Sequence[Row]) -> list[Row]:
    """The rows of ``existing`` (the document as read) the bookkeeper added since the sync's
    last write left ``written`` (see the module docstring)."""
    left = Counter(_article(article) for _, article in written)
    seen: Counter[str] = Counter()
    surplus = []
    for row in existing:
        seen[_article(row[1])] += 1
        if seen[_article(row[1])] > left[_article(row[1])]:
            surplus.append(row)
    added = len(existing) - len(written)
    return surplus[len(surplus) - added :] if added > 0 else []


def kept_theirs(synced_fields: Mapping[str, Any] | None) -> list[Row]:
    """The bookkeeper's rows an order link keeps (none for a link that keeps none)."""
    kept = (synced_fields or {}).get(KEPT_THEIRS)
    if not isinstance(kept, list):
        return []
    return [
        (item[0], item[1] if isinstance(item[1], str) else None)
        for item in kept
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)
    ]


def split_read(
    existing: Sequence[OrderRow | InvoiceRow], link: LinkView | None
) -> tuple[list[OrderRow | InvoiceRow], list[Row]]:
    """The document's rows as read, apart: the rows of the deal and the bookkeeper's (none
    when the order has no link, or its link keeps no rows of the sync's last write)."""
    written = kept_rows(link.synced_fields) if link is not None else None
    pairs = [(row.RowId, row.ArticleNumber) for row in existing if row.RowId is not None]
    theirs = added_in_fortnox(pairs, written) if written is not None else []
    ids = {row_id for row_id, _ in theirs}
    return [row for row in existing if row.RowId not in ids], theirs


def keeping(document: FortnoxDocument, theirs: Sequence[Row]) -> FortnoxDocument:
    """The update's ``document`` that keeps ``theirs`` as they are, named by ``RowId`` alone."""
    if not theirs:
        return document
    if isinstance(document, Invoice):
        rows = [*(document.InvoiceRows or []), *(InvoiceRow(RowId=i) for i, _ in theirs)]
        return document.model_copy(update={"InvoiceRows": rows})
    kept = [*(document.OrderRows or []), *(OrderRow(RowId=i) for i, _ in theirs)]
    return document.model_copy(update={"OrderRows": kept})


def rows_kept(written: FortnoxDocument, decision: object) -> dict[str, Any]:
    """What the link keeps of the document as Fortnox answered the ``decision``'s write
    (:func:`~.document_body.rows_to_keep`), the bookkeeper's rows an update kept apart: for
    each of their articles the last row of it (they were sent last)."""
    kept = rows_to_keep(written)
    theirs = decision.theirs if isinstance(decision, UpdateFortnoxDocument) else ()
    if not theirs:
        return kept
    wanted = Counter(_article(article) for article in theirs)
    ours: list[list[Any]] = []
    theirs_now: list[list[Any]] = []
    for row_id, article in reversed(kept[KEPT_ROWS]):
        if wanted[_article(article)] > 0:
            wanted[_article(article)] -= 1
            theirs_now.insert(0, [row_id, article])
        else:
            ours.insert(0, [row_id, article])
    return {**kept, KEPT_ROWS: ours, KEPT_THEIRS: theirs_now}
