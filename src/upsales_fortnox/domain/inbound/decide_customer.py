"""The decision for one Fortnox customer: create, link, update, unlink or nothing (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.domain.commands import (
    Command,
    CreateUpsalesCompany,
    LinkTarget,
    RemoveLink,
    SaveLink,
    UpdateUpsalesCompany,
)
from upsales_fortnox.domain.inbound.companies import (
    AccountFieldIds,
    CompanyMatch,
    MatchKind,
    clear_customer_number,
    company_changes,
    customer_fingerprint,
    is_empty,
    match_company,
    new_company,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Company
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

CREATED: Final = "created"
LINKED: Final = "linked"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
UNLINKED: Final = "unlinked"
NOT_FOUND: Final = "not_found"


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


def _link_target(customer_number: str, fingerprint: str | None) -> LinkTarget:
    return LinkTarget(LinkEntity.COMPANY, FortnoxType.CUSTOMER, customer_number, fingerprint)


def _save_link(company_id: int, customer_number: str, fingerprint: str | None) -> SaveLink:
    return SaveLink(
        LinkEntity.COMPANY, company_id, FortnoxType.CUSTOMER, customer_number, fingerprint
    )


def decide_customer(
    customer_number: str,
    customer: Customer | None,
    *,
    link: LinkView | None,
    linked_company: Company | None,
    candidates: Sequence[Company],
    linked_company_ids: Collection[int],
    field_ids: AccountFieldIds,
) -> CustomerDecision:
    """What to do about Fortnox customer ``customer_number``.

    ``customer`` is its current state (None: Fortnox answered 404, it was deleted);
    ``link`` its company link and ``linked_company`` that company (None when Upsales no longer
    has it). ``candidates`` are Upsales companies that may be it (found by customer number,
    organisation number and name); ``linked_company_ids`` those linked to other customers.

    Raises :class:`AmbiguousMatch` when candidates leave the choice open.
    """
    if customer is None:
        return _deleted(customer_number, link, linked_company, candidates, field_ids)
    fingerprint = customer_fingerprint(customer)
    commands: list[Command] = []
    if link is not None and linked_company is not None:
        if link.fingerprint == fingerprint:
            return CustomerDecision(outcome=UNCHANGED, company_id=linked_company.id)
        changes = company_changes(customer, linked_company, field_ids)
        if not is_empty(changes):
            commands.append(UpdateUpsalesCompany(linked_company.id, changes))
        commands.append(_save_link(linked_company.id, customer_number, fingerprint))
        return CustomerDecision(commands, UPDATED, linked_company.id)
    if link is not None:  # the linked company was deleted in Upsales: match afresh
        commands.append(RemoveLink(FortnoxType.CUSTOMER, customer_number))
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
        commands.append(_save_link(company.id, customer_number, fingerprint))
        return CustomerDecision(commands, LINKED, company.id)
    commands.append(
        CreateUpsalesCompany(
            new_company(customer, field_ids), _link_target(customer_number, fingerprint)
        )
    )
    return CustomerDecision(commands, CREATED, None)


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
