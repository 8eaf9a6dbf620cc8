"""The decision for one Fortnox customer: create, link, update, unlink or nothing (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from upsales_fortnox.domain.inbound.addresses import fortnox_address_types, with_address_types
from upsales_fortnox.domain.inbound.companies import (
    address_types_holding,
    addresses_left,
    as_written,
    clear_customer_number,
    company_changes,
    customer_fingerprint,
    is_empty,
    new_company,
)
from upsales_fortnox.domain.inbound.company_matching import (
    CompanyMatch,
    MatchKind,
    match_company,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    FORTNOX_FIELDS,
    AccountFieldIds,
    company_fields_from_fortnox,
    company_fields_from_upsales,
)
from upsales_fortnox.domain.outbound.merge import base_after_upsales_write, waiting_for_fortnox
from upsales_fortnox.domain.outbound.other_addresses import address_types_of
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateUpsalesCompany,
    LinkTarget,
    RemoveLink,
    SaveLink,
    UpdateUpsalesCompany,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Company, CompanyDraft
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

CREATED: Final = "created"
LINKED: Final = "linked"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
UNLINKED: Final = "unlinked"
NOT_FOUND: Final = "not_found"
CUSTOMER_INACTIVE: Final = "customer_inactive"
"""A customer inactive in Fortnox and linked to no company: not brought to Upsales."""


class AmbiguousMatch(PermanentError):
    """More than one Upsales company fits a Fortnox customer; a person must link one."""

    code = "ambiguous_match"

    def __init__(self, customer: Customer, match: CompanyMatch) -> None:
        names = ", ".join(f"{c.id} ({c.name or 'no name'})" for c in match.candidates)
        on = (match.matched_on or "").replace("_", " ")
        super().__init__(
            f"Fortnox customer {customer.CustomerNumber} ({customer.Name or 'no name'}) matches "
            f"{len(match.candidates)} Upsales companies by {on}: {names}. "
            "Link the right one by hand, then retry."
        )
        self.candidate_ids = [c.id for c in match.candidates]


@dataclass(frozen=True)
class CustomerDecision:
    commands: list[Command] = field(default_factory=list)
    outcome: str = UNCHANGED
    company_id: int | None = None
    """The linked Upsales company (None when it is still to be created, or was unlinked)."""


@dataclass(frozen=True)
class SentFor:
    """The Upsales company a won deal's create of the customer was sent for, and the company's
    fields that create sent (it may have changed since)."""

    company: Company
    sent_fields: Mapping[str, str | None]


def _save_link(
    company_id: int,
    customer_number: str,
    fingerprint: str | None,
    synced_fields: Mapping[str, Any],
    *,
    sync_upsales_company: bool = False,
) -> SaveLink:
    return SaveLink(
        LinkEntity.COMPANY,
        company_id,
        FortnoxType.CUSTOMER,
        customer_number,
        fingerprint,
        synced_fields=synced_fields,
        sync_upsales_company=sync_upsales_company,
    )


def synced_after_write(
    base: Mapping[str, Any] | None,
    written: CompanyDraft,
    customer: Customer,
    field_ids: AccountFieldIds,
) -> dict[str, Any]:
    """The link's new merge base once ``written`` is what the company holds, with the address
    types that hold the customer's addresses (:data:`~.addresses.FORTNOX_ADDRESS_TYPES`)."""
    upsales = company_fields_from_upsales(written, field_ids)
    synced = base_after_upsales_write(base, upsales, company_fields_from_fortnox(customer))
    return with_address_types(synced, address_types_holding(customer, written.addresses))


def decide_customer(
    customer_number: str,
    customer: Customer | None,
    *,
    link: LinkView | None,
    linked_company: Company | None,
    candidates: Sequence[Company],
    linked_company_ids: Collection[int],
    field_ids: AccountFieldIds,
    sent_for: SentFor | None = None,
) -> CustomerDecision:
    """What to do about Fortnox customer ``customer_number``.

    ``customer`` is its current state (None: Fortnox answered 404, it was deleted);
    ``link`` its company link and ``linked_company`` that company (None when Upsales no longer
    has it). ``candidates`` are Upsales companies that may be it (found by customer number,
    organisation number and name); ``linked_company_ids`` those linked to other customers;
    ``sent_for`` the company a won deal's create of it was sent for (it is that company's,
    whatever the others' names and numbers).

    Every link records its merge base (:func:`synced_after_write`): fields our write made equal are
    in sync, fields changed in Upsales and waiting for Fortnox are left and keep their base,
    so the echo of our write, and the next Upsales edit, send nothing Fortnox did not change.
    It records the address types that hold the customer's addresses too: one of them the
    customer no longer has is cleared in the company (:mod:`.addresses`).

    A customer inactive in Fortnox that is linked to no company is left out
    (:data:`CUSTOMER_INACTIVE`): neither created in Upsales nor linked to a company it matches;
    a linked one keeps its company up to date.

    Raises :class:`AmbiguousMatch` when candidates leave the choice open.
    """
    if customer is None:
        return _deleted(customer_number, link, linked_company, candidates, field_ids)
    fingerprint = customer_fingerprint(customer)
    commands: list[Command] = []
    if link is not None and linked_company is not None:
        if link.fingerprint == fingerprint:
            return CustomerDecision(outcome=UNCHANGED, company_id=linked_company.id)
        waiting = waiting_for_fortnox(
            link.synced_fields,
            company_fields_from_upsales(linked_company, field_ids),
            company_fields_from_fortnox(customer),
        )
        from_fortnox = fortnox_address_types(link.synced_fields)
        changes = company_changes(
            customer, linked_company, field_ids, keep=waiting, from_fortnox=from_fortnox
        )
        if not is_empty(changes):
            commands.append(UpdateUpsalesCompany(linked_company.id, changes))
        written = as_written(linked_company, changes)
        synced = synced_after_write(link.synced_fields, written, customer, field_ids)
        if addresses_left(waiting):  # nothing of them synced: they are as they were
            synced = with_address_types(synced, from_fortnox)
        elif left := address_types_of(waiting) & from_fortnox:  # a visiting or delivery one
            synced = with_address_types(synced, fortnox_address_types(synced) | left)
        # what was left for the Upsales edit waiting (the whole address, for a postal field)
        # comes over with the event of that edit's write: until then the link keeps its
        # fingerprint, so that event is not taken for our echo
        kept = link.fingerprint if waiting else fingerprint
        commands.append(_save_link(linked_company.id, customer_number, kept, synced))
        return CustomerDecision(commands, UPDATED, linked_company.id)
    if link is not None:  # the linked company was deleted in Upsales: match afresh
        commands.append(RemoveLink(FortnoxType.CUSTOMER, customer_number))
    if sent_for is not None and sent_for.company.id not in linked_company_ids:
        return _link_sent_for(customer_number, customer, sent_for, field_ids, commands)
    if customer.Active is False:  # the bookkeeper retired it: no new company, nor a link
        return CustomerDecision(commands, CUSTOMER_INACTIVE, None)
    match = match_company(
        customer,
        candidates,
        customer_number_field_id=field_ids.customer_number,
        linked_company_ids=set(linked_company_ids) - ({link.upsales_id} if link else set()),
    )
    if match.kind is MatchKind.AMBIGUOUS:
        raise AmbiguousMatch(customer, match)
    if match.kind is MatchKind.LINK:
        assert match.company is not None
        company = match.company
        changes = company_changes(customer, company, field_ids, fill_only=True)
        if not is_empty(changes):
            commands.append(UpdateUpsalesCompany(company.id, changes))
        synced = synced_after_write(None, as_written(company, changes), customer, field_ids)
        commands.append(_save_link(company.id, customer_number, fingerprint, synced))
        return CustomerDecision(commands, LINKED, company.id)
    draft = new_company(customer, field_ids)
    target = LinkTarget(
        LinkEntity.COMPANY,
        FortnoxType.CUSTOMER,
        customer_number,
        fingerprint,
        synced_fields=synced_after_write(None, draft, customer, field_ids),
    )
    commands.append(CreateUpsalesCompany(draft, target))
    return CustomerDecision(commands, CREATED, None)


_ALL_FIELDS: Final = frozenset(FORTNOX_FIELDS)


def _link_sent_for(
    customer_number: str,
    customer: Customer,
    sent_for: SentFor,
    field_ids: AccountFieldIds,
    commands: list[Command],
) -> CustomerDecision:
    """The customer a won deal's create made for ``sent_for.company``, which has changed since
    (so no search by its fields finds it): linked with the fields that create sent as the base,
    and the company's sync queued with the link, so its changes since reach the customer."""
    company = sent_for.company
    # the customer number only: the company's fields since are sent to the customer
    changes = company_changes(customer, company, field_ids, fill_only=True, keep=_ALL_FIELDS)
    if not is_empty(changes):
        commands.append(UpdateUpsalesCompany(company.id, changes))
    fingerprint = customer_fingerprint(customer)
    commands.append(
        _save_link(
            company.id,
            customer_number,
            fingerprint,
            dict(sent_for.sent_fields),
            sync_upsales_company=True,
        )
    )
    return CustomerDecision(commands, LINKED, company.id)


def _deleted(
    customer_number: str,
    link: LinkView | None,
    linked_company: Company | None,
    candidates: Sequence[Company],
    field_ids: AccountFieldIds,
) -> CustomerDecision:
    """Deleted in Fortnox: remove the link and the customer number, never the company.

    Companies that carry the number without a link (a crash between writing the company and
    recording its link) are cleared too.
    """
    commands: list[Command] = []
    if link is not None:
        commands.append(RemoveLink(FortnoxType.CUSTOMER, customer_number))
    companies = {c.id: c for c in candidates if _carries(c, field_ids, customer_number)}
    if linked_company is not None:
        companies[linked_company.id] = linked_company
    for company in sorted(companies.values(), key=lambda c: c.id):
        cleared = clear_customer_number(company, field_ids)
        if cleared is not None:
            commands.append(UpdateUpsalesCompany(company.id, cleared))
    outcome = UNLINKED if commands else NOT_FOUND
    return CustomerDecision(commands, outcome, None)


def _carries(company: Company, field_ids: AccountFieldIds, customer_number: str) -> bool:
    if field_ids.customer_number is None:
        return False
    return any(
        item.fieldId == field_ids.customer_number
        and str(item.value or "").strip() == customer_number
        for item in company.custom or ()
    )
