"""The Upsales → Fortnox decision on a won deal's document (pure): create, link, update,
leave, or refuse it as locked; and what must be read of Fortnox before deciding."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.added_rows import Placed, keeping, kept_theirs, split_read
from upsales_fortnox.domain.outbound.document_body import (
    DocumentDraft,
    FortnoxDocument,
    document_rows,
    fingerprint_of_fortnox_document,
    held_row_id,
    locked_reason,
    matching_row_ids,
    row_ids_from_kept,
)
from upsales_fortnox.domain.outbound.kept_rows import kept_rows, read_before_update
from upsales_fortnox.domain.outbound.order_gate import DOCUMENT_MADE_IN_FORTNOX, skip_reason
from upsales_fortnox.domain.outbound.part_deliveries import keep_deliveries
from upsales_fortnox.domain.outbound.reference import ORDER_REFERENCE_FIELD, parse_order_reference
from upsales_fortnox.domain.outbound.your_reference import referenced, to_send, with_reference
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
    UpdateFortnoxDocument,
)
from upsales_fortnox.vocabulary import FortnoxType

DocumentDecision = (
    CreateFortnoxDocument
    | LinkFortnoxDocument
    | NoChange
    | RefuseDocumentChange
    | UpdateFortnoxDocument
)


class DocumentLookup(Enum):
    NONE = "none"
    """Nothing to read: nothing changed since the document was sent, it was never sent, or the
    link keeps the rows our last write left (the update is sent without a read)."""
    GET = "get"
    """Read the linked document (it is to be updated, and the link keeps no rows)."""
    SEARCH = "search"
    """No link, but an earlier attempt may have created the document: search by reference."""


def document_lookup(
    draft: DocumentDraft, link: LinkView | None, *, sent_before: bool
) -> DocumentLookup:
    """``sent_before``: an earlier attempt recorded an intent to create the order's document
    (:mod:`upsales_fortnox.links.repository.document_intents`), so an unlinked one may have it."""
    if link is None:
        return DocumentLookup.SEARCH if sent_before else DocumentLookup.NONE
    synced = link.synced_fields
    if draft.sent_as(link.fingerprint, synced):
        return DocumentLookup.NONE
    unread = kept_rows(synced) is not None and not read_before_update(synced)
    return DocumentLookup.NONE if unread else DocumentLookup.GET


def read_before_mapping(link: LinkView | None) -> bool:
    """Whether the deal's linked document is read before anything of the order is mapped: its
    link keeps no rows of a write of the sync (:func:`kept_rows`), so the sync may not have
    written it (imported from Fortnox, the order Fortnox made of an offer, linked by hand). One
    made in Fortnox takes no Upsales change (:func:`made_in_fortnox`), so the order's rows are
    not mapped for it: a row Fortnox has without an article is on the order with a product that
    has none. The read is the one :func:`document_lookup` asks for anyway (but for no change)."""
    return link is not None and kept_rows(link.synced_fields) is None


def rows_may_stay_unsent(link: LinkView | None) -> bool:
    """Whether the rows of a won deal whose document is ``link``'s may never be sent, so that
    ``before_order_save`` (which reads no document) does not refuse them: its opportunity came
    from a Fortnox offer (its order is the one Fortnox makes of the offer), or its document may
    be one made in Fortnox (:func:`read_before_mapping`), which its job reads and leaves as it
    is; only that read tells for sure, and the job checks the rows when it sends them."""
    if link is None:
        return False
    return link.fortnox_type is FortnoxType.OFFER or read_before_mapping(link)


def made_in_fortnox(
    existing: FortnoxDocument, upsales_order_id: int, fortnox_type: FortnoxType
) -> NoChange | None:
    """Why the linked document takes no change of the order: it was made in Fortnox (its
    reference names no order, or another one); None when it was sent from this order."""
    if parse_order_reference(getattr(existing, ORDER_REFERENCE_FIELD)) == upsales_order_id:
        return None
    detail = (
        f"Fortnox {fortnox_type.value} {existing.DocumentNumber} was made in Fortnox, not sent "
        "from this order; Fortnox stays its source and Upsales changes are not sent back"
    )
    return NoChange(skip_reason(DOCUMENT_MADE_IN_FORTNOX, detail))


def decide_document(
    draft: DocumentDraft, link: LinkView | None, existing: FortnoxDocument | None
) -> DocumentDecision:
    """Create, link, update, leave, or refuse (locked) the order's Fortnox document. Only
    documents sent from this order (their reference names it) are updated; one made in Fortnox
    (linked by the Fortnox → Upsales sync) is left as it is. ``existing``: what
    :func:`document_lookup` asked for, the linked document or one a search by reference found."""
    kept = link.synced_fields if link is not None else None
    draft = draft.for_link(kept)
    wanted, reference = draft.fingerprint(), draft.your_reference
    if link is not None and draft.sent_as(link.fingerprint, kept):
        return NoChange("the order has not changed since it was sent")
    if existing is None or existing.DocumentNumber is None:
        if link is not None:
            return _update_from_kept_rows(draft, link)
        document = referenced(draft.to_fortnox(), reference)
        return CreateFortnoxDocument(
            draft.upsales_order_id, draft.fortnox_type, document, wanted, draft.net, reference
        )
    number = existing.DocumentNumber
    found = fingerprint_of_fortnox_document(existing)
    if wanted in (found, with_reference(found, existing.YourReference or None)):
        return LinkFortnoxDocument(
            draft.upsales_order_id, draft.fortnox_type, number, wanted, reference
        )
    elsewhere = made_in_fortnox(existing, draft.upsales_order_id, draft.fortnox_type)
    if elsewhere is not None:
        return elsewhere
    reason = locked_reason(existing)
    if reason is not None:
        return RefuseDocumentChange(
            draft.upsales_order_id,
            draft.fortnox_type,
            number,
            f"the order changed in Upsales after it was sent, but Fortnox "
            f"{draft.fortnox_type.value} {number} can no longer change: {reason}",
        )
    rows, theirs = split_read(document_rows(existing), link)
    ours = [row.RowId for row in rows if row.RowId is not None]
    return _update(draft, number, matching_row_ids(rows, draft.rows), theirs, ours, kept, existing)


def _update_from_kept_rows(draft: DocumentDraft, link: LinkView) -> UpdateFortnoxDocument:
    """The update of our own document, unread: its rows as our last write left them."""
    kept = kept_rows(link.synced_fields)
    if kept is None:
        raise ValueError("a linked document that keeps no rows must be read before it is updated")
    row_ids, theirs = row_ids_from_kept(kept, draft.rows), kept_theirs(link.synced_fields)
    ours = [row_id for row_id, _ in kept]
    return _update(draft, int(link.fortnox_id), row_ids, theirs, ours, link.synced_fields)


def _update(
    draft: DocumentDraft,
    number: int,
    row_ids: list[int | None],
    theirs: list[Placed],
    ours: list[int],
    synced: Mapping[str, Any] | None,
    read: FortnoxDocument | None = None,
) -> UpdateFortnoxDocument:
    """The deal's rows, the bookkeeper's kept, "Er referens" as :func:`.to_send` has it."""
    held = None if theirs else held_row_id(ours, row_ids)
    sent = keep_deliveries(draft.to_fortnox(row_ids, held_row=held), draft.rows, row_ids, read)
    document = keeping(sent, theirs, ours)
    return UpdateFortnoxDocument(
        draft.upsales_order_id,
        draft.fortnox_type,
        number,
        referenced(document, to_send(draft.your_reference, synced, read)),
        draft.fingerprint(),
        draft.net,
        held,
        tuple(article for _, article, _ in theirs),
        draft.your_reference,
    )
