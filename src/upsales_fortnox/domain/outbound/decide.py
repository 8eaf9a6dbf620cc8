"""The Upsales → Fortnox decisions (pure): what a won deal or a changed company calls for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Final

from upsales_fortnox.domain.identity import (
    has_swedish_check_digit,
    normalise_name,
    normalise_org_number,
)
from upsales_fortnox.domain.inbound.addresses import (
    company_fields_of,
    fortnox_address_types,
    with_address_types,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.added_rows import Placed, keeping, kept_theirs, split_read
from upsales_fortnox.domain.outbound.company import (
    CompanyFields,
    abroad,
    company_fields_from_fortnox,
    customer_changes,
    new_customer,
    sendable,
)
from upsales_fortnox.domain.outbound.document_body import (
    DocumentDraft,
    FortnoxDocument,
    document_rows,
    fingerprint_of_fortnox_document,
    held_row_id,
    kept_rows,
    locked_reason,
    matching_row_ids,
    row_ids_from_kept,
)
from upsales_fortnox.domain.outbound.merge import three_way_merge
from upsales_fortnox.domain.outbound.other_addresses import addresses_apart
from upsales_fortnox.domain.outbound.reference import ORDER_REFERENCE_FIELD, parse_order_reference
from upsales_fortnox.domain.outbound.validation import (
    CompanyRefused,
    company_problems,
    refusal_message,
)
from upsales_fortnox.domain.outbound.your_reference import referenced, to_send, with_reference
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxCustomer,
    CreateFortnoxDocument,
    LinkFortnoxCustomer,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
    UpdateFortnoxCustomer,
    UpdateFortnoxDocument,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType

DocumentDecision = (
    CreateFortnoxDocument
    | LinkFortnoxDocument
    | NoChange
    | RefuseDocumentChange
    | UpdateFortnoxDocument
)
CustomerDecision = CreateFortnoxCustomer | LinkFortnoxCustomer


# --- customers ------------------------------------------------------------------------------


def org_number_search_text(fields: Mapping[str, str | None]) -> str | None:
    """What to search Fortnox customers for to find this company by organisation number: its
    first six digits, which every way of writing the number contains (the search matches
    substrings; candidates are compared exactly afterwards)."""
    digits = normalise_org_number(fields.get("organisation_number"))
    return digits[:6] if digits else None


def customer_search(fields: Mapping[str, str | None]) -> dict[str, str] | None:
    """The Fortnox customer search that finds this company: by organisation number (see
    :func:`org_number_search_text`), or without one by name; None when it has neither."""
    search_text = org_number_search_text(fields)
    if search_text is not None:
        return {"organisationnumber": search_text}
    if fields.get("name"):
        return {"name": fields["name"] or ""}
    return None


class CustomerInactive(PermanentError):
    """The company's Fortnox customer is inactive (the bookkeeper took it out of use): the deal
    is made out neither to it nor to a second customer of the company until it is activated
    again, which retries the deal."""

    code = "fortnox_customer_inactive"

    def __init__(self, customer_number: str, detail: str) -> None:
        super().__init__(f"{self.opening(customer_number)}: {detail}")
        self.customer_number = customer_number

    @staticmethod
    def opening(customer_number: str) -> str:
        """How the message begins (the deals waiting for a customer are found by it)."""
        return f"Fortnox customer {customer_number} is inactive"


def is_inactive(customer: Customer) -> bool:
    """Whether the customer is inactive in Fortnox; a list item (no ``Active``) is not known to
    be, and counts as active."""
    return customer.Active is False


def matching_customers(
    fields: Mapping[str, str | None], candidates: Iterable[Customer]
) -> list[Customer]:
    """The Fortnox customers that are this company, lowest number first: same organisation
    number; or, when the company has none, the same name and no organisation number (for a
    company abroad, whose own number is never sent, none that is a Swedish one: see
    :func:`~.company.org_number_synced`)."""
    org_number = normalise_org_number(fields.get("organisation_number"))
    name = normalise_name(fields.get("name"))
    is_abroad = abroad(fields.get("country_code"))
    matches = []
    for candidate in candidates:
        if not candidate.CustomerNumber:
            continue
        candidate_org = normalise_org_number(candidate.OrganisationNumber)
        if org_number is not None:
            if candidate_org == org_number:
                matches.append(candidate)
        elif name is not None and normalise_name(candidate.Name) == name:
            swedish = candidate_org is not None and has_swedish_check_digit(candidate_org)
            if not (candidate.OrganisationNumber or "").strip() or (is_abroad and not swedish):
                matches.append(candidate)
    return sorted(matches, key=lambda c: (len(c.CustomerNumber or ""), c.CustomerNumber or ""))


def matching_customer(
    fields: Mapping[str, str | None], candidates: Iterable[Customer]
) -> Customer | None:
    """The first of :func:`matching_customers`, active or not."""
    return next(iter(matching_customers(fields, candidates)), None)


def decide_customer(
    upsales_company_id: int, fields: CompanyFields, candidates: Sequence[Customer]
) -> CustomerDecision:
    """Link the matching Fortnox customer, or create one (refused when Fortnox would refuse).

    An active match is linked before an inactive one (``candidates`` whose ``Active`` is
    known: read whole); when every match is inactive, :class:`CustomerInactive` is raised
    (no second customer is made). A matched customer keeps its Fortnox data; the Upsales
    fields become the base of later merges: a difference stays until either side changes the
    field (see :func:`~.merge.three_way_merge`'s ``fortnox_unchanged``).
    """
    matches = matching_customers(fields, candidates)
    active = next((match for match in matches if not is_inactive(match)), None)
    if active is not None and active.CustomerNumber:
        return LinkFortnoxCustomer(upsales_company_id, active.CustomerNumber, dict(fields))
    if matches:
        raise CustomerInactive(
            matches[0].CustomerNumber or "",
            f"the company {fields.get('name')!r} matches no active customer; its deal is sent "
            "once the customer is activated again in Fortnox (no second customer is made)",
        )
    problems = company_problems(fields)
    if problems:
        raise CompanyRefused(refusal_message(f"The company {fields.get('name')!r}", problems))
    return CreateFortnoxCustomer(upsales_company_id, new_customer(fields), dict(fields))


def customer_made_as_sent(
    upsales_company_id: int, sent_fields: Mapping[str, str | None], candidates: Sequence[Customer]
) -> LinkFortnoxCustomer | None:
    """The customer that an earlier create of the company made of ``sent_fields`` (the company
    renamed, or given an organisation number, since): linked with those fields as the base of
    the next merge, so the company's changes since are sent to it as Upsales edits."""
    match = matching_customer(sent_fields, candidates)
    if match is None or not match.CustomerNumber:
        return None
    return LinkFortnoxCustomer(upsales_company_id, match.CustomerNumber, dict(sent_fields))


def company_sent_as(
    customer: Customer, sent_creates: Iterable[tuple[int, Mapping[str, str | None]]]
) -> tuple[int, Mapping[str, str | None]] | None:
    """The company whose deal sent the create that made ``customer`` (its sent fields match
    it), with those fields; None when no noted create, or creates of several companies, match."""
    matching = {
        company_id: sent
        for company_id, sent in sent_creates
        if matching_customer(sent, [customer]) is not None
    }
    return next(iter(matching.items())) if len(matching) == 1 else None


def company_gate(link: LinkView | None, fields: CompanyFields) -> NoChange | None:
    """Why a changed company needs no Fortnox call at all, or None.

    The company's fields equal to those last synced (kept on the link) are the echo of our own
    write, or a change to fields that are not synced: nothing to do.
    """
    if link is None:
        return NoChange(
            "the company has no Fortnox customer yet; it is sent with its first won order"
        )
    if link.synced_fields is not None and company_fields_of(link.synced_fields) == dict(fields):
        return NoChange("no company field changed since the last sync (or our own write)")
    return None


_CONTEXT: Final = ("name", "country_code")
"""Company fields an update's checks read whether or not it sends them."""


def decide_company_update(
    upsales_company_id: int,
    link: LinkView,
    upsales: CompanyFields,
    fortnox: Customer,
    *,
    fortnox_unchanged: bool = False,
) -> UpdateFortnoxCustomer:
    """Three-way merge against the fields last synced (see :mod:`.merge`; ``fortnox_unchanged``:
    the customer is as it was at the last sync).

    The command's ``changes`` is None when nothing is to be written to Fortnox; its
    ``synced_fields`` are recorded on the link either way, with the address types the link
    records as holding the customer's addresses, as they were. :class:`CompanyRefused` when a
    value it sends would be refused; one it leaves as Fortnox has it refuses nothing.
    """
    fortnox_fields = company_fields_from_fortnox(fortnox)
    plan = three_way_merge(
        link.synced_fields,
        upsales,
        fortnox_fields,
        fortnox_unchanged=fortnox_unchanged,
        fortnox_holds=addresses_apart(upsales, fortnox_fields),
    )
    if plan.to_fortnox:
        # what is sent, in the customer's country and name as they will be; a value the
        # update leaves (the bookkeeper's, which Fortnox holds already) is not ours to refuse
        merged = {**fortnox_fields, **plan.to_fortnox}
        checked = {k: v for k, v in merged.items() if k in plan.to_fortnox or k in _CONTEXT}
        problems = company_problems(checked)
        if problems:
            subject = f"The company {upsales.get('name')!r}"
            raise CompanyRefused(refusal_message(subject, problems))
    sent = sendable(plan.to_fortnox)  # a country cleared alone leaves nothing to send
    return UpdateFortnoxCustomer(
        upsales_company_id=upsales_company_id,
        customer_number=link.fortnox_id,
        changes=customer_changes(sent) if sent else None,
        changed_fields=tuple(sorted(sent)),
        synced_fields=with_address_types(plan.synced, fortnox_address_types(link.synced_fields)),
        conflicts=plan.conflicts,
        changed_in_fortnox=tuple(sorted(plan.to_upsales)),
    )


# --- documents ------------------------------------------------------------------------------


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
    if draft.sent_as(link.fingerprint, synced) or kept_rows(synced) is not None:
        return DocumentLookup.NONE
    return DocumentLookup.GET


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
    return NoChange(
        f"Fortnox {fortnox_type.value} {existing.DocumentNumber} was made in Fortnox, not sent "
        "from this order; Fortnox stays its source and Upsales changes are not sent back"
    )


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
    document = keeping(draft.to_fortnox(row_ids, held_row=held), theirs, ours)
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
