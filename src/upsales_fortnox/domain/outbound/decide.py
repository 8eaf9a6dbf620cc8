"""The Upsales → Fortnox decisions (pure) on a changed company: create, link or update its Fortnox
customer. (A won deal's document: :mod:`.document_decision`.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

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
from upsales_fortnox.domain.outbound.company import (
    CompanyFields,
    abroad,
    company_fields_from_fortnox,
    customer_changes,
    new_customer,
    sendable,
)
from upsales_fortnox.domain.outbound.merge import three_way_merge
from upsales_fortnox.domain.outbound.other_addresses import addresses_apart
from upsales_fortnox.domain.outbound.validation import (
    CompanyRefused,
    company_problems,
    refusal_message,
)
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxCustomer,
    LinkFortnoxCustomer,
    NoChange,
    UpdateFortnoxCustomer,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.models import Customer

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
