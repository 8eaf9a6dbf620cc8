"""Rows the bookkeeper added in Fortnox to a document the sync wrote (pure).

A won deal's document holds the deal's rows. A row the bookkeeper adds to it in Fortnox
(freight, a fee, a text row) has no place in the deal, so an update of the deal's rows names it
by its ``RowId`` alone and it stays as it is (a row an update leaves out is removed). Such rows
are the document's rows beyond the rows the sync's last write left there, counted by article
(for an article with more rows than that write left, those without the figures of a row it
wrote, else the last ones), and never more rows than
the document has beyond that write's: a row of the deal the bookkeeper gave another article
replaced it, and the update makes it the deal's again. The link keeps them (``theirs``) beside
the rows of its write, so the next update keeps them without reading the document.

Each keeps its place among the deal's rows: it is sent before the deal row it preceded in the
document (the next one the update still has), or last when no deal row followed it, so a text
row the bookkeeper put above the deal's rows stays above them and freight added last stays
last. The link keeps each one's place in the document (a link that keeps none: last).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.changed_after_sent import changed_after_sent_kept
from upsales_fortnox.domain.outbound.document_body import (
    FortnoxDocument,
    document_rows,
)
from upsales_fortnox.domain.outbound.kept_rows import (
    KEPT_ROWS,
    kept_figures,
    kept_rows,
    row_figures,
    rows_to_keep,
)
from upsales_fortnox.domain.outbound.rows import UnsendableOrder
from upsales_fortnox.domain.outbound.your_reference import reference_kept
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.integrations.fortnox.models import (
    DocumentRow,
    Invoice,
    InvoiceRow,
    OrderRow,
)

KEPT_THEIRS: Final = "theirs"
"""Key of the bookkeeper's rows an order link keeps (``[RowId, article, place]`` each, the
place its index in the document; ``[RowId, article]`` as kept before places were)."""

ROWS_BEYOND_LIMIT: Final = "order_rows_beyond_limit_with_added"
"""Code of :class:`RowsBeyondLimit`."""


class RowsBeyondLimit(UnsendableOrder):
    """The deal's rows and the bookkeeper's rows the update keeps are more than Fortnox allows
    on a document: Fortnox would refuse the whole update. People resolve it (fewer rows on the
    order, or the bookkeeper's rows removed in Fortnox)."""

    code = ROWS_BEYOND_LIMIT


Row = tuple[int, str | None]
"""A document row as kept: its ``RowId`` and article."""

Placed = tuple[int, str | None, int | None]
"""A bookkeeper's row: its ``RowId``, article and index in the document (None: not known)."""


def _article(article: str | None) -> str:
    return article or ""


def added_in_fortnox(
    existing: Sequence[Row],
    written: Sequence[Row],
    existing_figures: Sequence[str | None] = (),
    written_figures: Sequence[str | None] = (),
) -> list[Row]:
    """The rows of ``existing`` (the document as read) the bookkeeper added since the sync's
    last write left ``written`` (see the module docstring). Of an article's rows, those with
    the figures of a row written (:func:`~.kept_rows.row_figures`, where the link kept them)
    are the deal's first, so that a row the bookkeeper put above a deal row of its article is
    not taken for the deal's."""
    left = Counter(_article(article) for _, article in written)
    unmatched: Counter[tuple[str, str | None]] = Counter(
        (_article(article), figures)
        for (_, article), figures in zip(written, written_figures, strict=False)
        if figures is not None
    )
    deals = Counter[str]()
    taken = [False] * len(existing)
    for index, (row, figures) in enumerate(zip(existing, existing_figures, strict=False)):
        article = _article(row[1])
        if unmatched[(article, figures)] > 0 and deals[article] < left[article]:
            unmatched[(article, figures)] -= 1
            deals[article] += 1
            taken[index] = True
    surplus = []
    for row, deal_row in zip(existing, taken, strict=True):
        article = _article(row[1])
        if deal_row:
            continue
        if deals[article] < left[article]:
            deals[article] += 1
        else:
            surplus.append(row)
    added = len(existing) - len(written)
    return surplus[len(surplus) - added :] if added > 0 else []


def kept_theirs(synced_fields: Mapping[str, Any] | None) -> list[Placed]:
    """The bookkeeper's rows an order link keeps (none for a link that keeps none)."""
    kept = (synced_fields or {}).get(KEPT_THEIRS)
    if not isinstance(kept, list):
        return []
    return [
        (
            item[0],
            item[1] if isinstance(item[1], str) else None,
            item[2] if len(item) == 3 and isinstance(item[2], int) else None,
        )
        for item in kept
        if isinstance(item, list) and len(item) in (2, 3) and isinstance(item[0], int)
    ]


def split_read(
    existing: Sequence[OrderRow | InvoiceRow], link: LinkView | None
) -> tuple[list[OrderRow | InvoiceRow], list[Placed]]:
    """The document's rows as read, apart: the rows of the deal and the bookkeeper's, each
    with its place (none when the order has no link, or its link keeps no rows of the sync's
    last write)."""
    synced = link.synced_fields if link is not None else None
    written = kept_rows(synced)
    numbered = [row for row in existing if row.RowId is not None]
    pairs = [(row.RowId, row.ArticleNumber) for row in numbered if row.RowId is not None]
    figures = [row_figures(row) for row in numbered]
    added = (
        added_in_fortnox(pairs, written, figures, kept_figures(synced))
        if written is not None
        else []
    )
    ids = {row_id for row_id, _ in added}
    places = {row_id: place for place, (row_id, _) in enumerate(pairs)}
    theirs: list[Placed] = [(row_id, article, places[row_id]) for row_id, article in added]
    return [row for row in existing if row.RowId not in ids], theirs


def _within_limit(rows: int, theirs: Sequence[Placed]) -> None:
    """Raise :class:`RowsBeyondLimit` when the deal's ``rows`` and ``theirs`` are more than a
    document holds."""
    if theirs and rows + len(theirs) > MAX_DOCUMENT_ROWS:
        raise RowsBeyondLimit(
            f"the order has {rows} rows and its Fortnox document {len(theirs)} rows added "
            f"there, which the update keeps; Fortnox allows {MAX_DOCUMENT_ROWS} rows"
        )


def _layout(ours: Sequence[int], theirs: Sequence[Placed]) -> list[tuple[int, bool]]:
    """The document's rows in order (``RowId``, whether the bookkeeper's): ``theirs`` at their
    places, the deal's rows ``ours`` in order around them, one of no known place last."""
    size = len(ours) + len(theirs)
    placed: dict[int, int] = {}
    last = []
    for row_id, _, place in theirs:
        if place is None or not 0 <= place < size or place in placed:
            last.append(row_id)
        else:
            placed[place] = row_id
    layout: list[tuple[int, bool]] = []
    pending = sorted(placed.items())
    for row_id in ours:
        while pending and pending[0][0] <= len(layout):
            layout.append((pending.pop(0)[1], True))
        layout.append((row_id, False))
    layout += [(row_id, True) for _, row_id in pending]
    return layout + [(row_id, True) for row_id in last]


def keeping(
    document: FortnoxDocument, theirs: Sequence[Placed], ours: Sequence[int] = ()
) -> FortnoxDocument:
    """The update's ``document`` that keeps ``theirs`` as they are, named by ``RowId`` alone,
    each before the deal row it preceded (``ours``: the deal's rows as the document has them,
    in order) that ``document`` still names, else last. Raises :class:`RowsBeyondLimit` when
    they and the deal's rows are more than a document holds."""
    if not theirs:
        return document
    rows = document_rows(document)
    _within_limit(len(rows), theirs)
    sent = {row.RowId for row in rows if row.RowId is not None}
    before: dict[int | None, list[int]] = {}
    waiting: list[int] = []
    for row_id, mine in _layout(ours, theirs):
        if mine:
            waiting.append(row_id)
        elif row_id in sent and waiting:
            before[row_id], waiting = waiting, []
    before[None] = waiting
    make = InvoiceRow if isinstance(document, Invoice) else OrderRow
    kept: list[Any] = []
    for row in rows:
        if row.RowId is not None:
            kept += [make(RowId=i) for i in before.pop(row.RowId, [])]
        kept.append(row)
    kept += [make(RowId=i) for i in before[None]]
    if isinstance(document, Invoice):
        return document.model_copy(update={"InvoiceRows": kept})
    return document.model_copy(update={"OrderRows": kept})


def _bare(row: DocumentRow) -> bool:
    """Whether ``row`` names an existing row alone (kept as it is)."""
    return row.RowId is not None and set(row.model_dump(exclude_none=True)) == {"RowId"}


def rows_kept(written: FortnoxDocument, decision: object) -> dict[str, Any]:
    """What the link keeps of the document as Fortnox answered the ``decision``'s write
    (:func:`~.kept_rows.rows_to_keep`), the bookkeeper's rows an update kept apart, each
    with its place: the rows Fortnox answered where the update named a row alone (its rows
    answered in the order sent); failing that, for each of their articles the last row of it."""
    kept = {
        **rows_to_keep(written),
        **reference_kept(decision),
        **changed_after_sent_kept(decision, written),
    }
    if not isinstance(decision, UpdateFortnoxDocument) or not decision.theirs:
        return kept
    answered = kept[KEPT_ROWS]
    sent = document_rows(decision.document)
    if len(sent) == len(answered):
        ours = [row for row, how in zip(answered, sent, strict=True) if not _bare(how)]
        theirs_now = [
            [*row[:2], place]
            for place, (row, how) in enumerate(zip(answered, sent, strict=True))
            if _bare(how)
        ]
        return {**kept, KEPT_ROWS: ours, KEPT_THEIRS: theirs_now}
    wanted = Counter(_article(article) for article in decision.theirs)
    ours = []
    theirs_last: list[list[Any]] = []
    for row in reversed(answered):
        if wanted[_article(row[1])] > 0:
            wanted[_article(row[1])] -= 1
            theirs_last.insert(0, row[:2])
        else:
            ours.insert(0, row)
    return {**kept, KEPT_ROWS: ours, KEPT_THEIRS: theirs_last}
