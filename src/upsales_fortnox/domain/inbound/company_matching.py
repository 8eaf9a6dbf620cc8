"""Which Upsales company a Fortnox customer is (pure): linked, none (create), or unclear.

Matching order, before a company is created (DESIGN "Initial sync"): the customer number on an
Upsales company (a link whose record was lost), the organisation number (normalised by
:mod:`upsales_fortnox.domain.identity`; of offices sharing it, only the one with the name), then
the name (case and white space folded; a long one also as Upsales cuts it). Two candidates on
one key are never guessed between: ``ambiguous``.

* Companies linked to another customer are no candidates, nor those Upsales identified from
  website visits (``isExternal``): not in the account's database (Postman, "Get company list").
* A name match is refused when both sides carry organisation numbers that differ, or the customer
  none and the company one another Fortnox customer carries (:attr:`CompanyIndex.claimed`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from upsales_fortnox.domain.identity import matched_org_number, normalise_name
from upsales_fortnox.domain.inbound.companies import custom_value, names_held
from upsales_fortnox.domain.outbound.company import clean
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Company


class MatchKind(StrEnum):
    CREATE = "create"
    LINK = "link"
    AMBIGUOUS = "ambiguous"


class MatchedOn(StrEnum):
    CUSTOMER_NUMBER = "customer_number"
    ORG_NUMBER = "org_number"
    NAME = "name"


@dataclass(frozen=True)
class CompanyMatch:
    kind: MatchKind
    company: Company | None = None
    matched_on: MatchedOn | None = None
    candidates: tuple[Company, ...] = ()
    """All companies that matched on ``matched_on`` (more than one when ambiguous)."""


CREATE: Final = CompanyMatch(MatchKind.CREATE)


class CompanyIndex:
    """Upsales companies by the keys customers are matched on, for many customers (the initial
    import) or one; mark companies linked as you link them, so a second customer cannot claim
    them."""

    def __init__(
        self,
        companies: Iterable[Company],
        *,
        customer_number_field_id: int | None,
        linked_company_ids: Collection[int] = (),
    ) -> None:
        self._field_id = customer_number_field_id
        self._linked: set[int] = set(linked_company_ids)
        self.claimed: set[str] = set()  # normalised organisation numbers of Fortnox customers
        self._by_number: dict[str, dict[int, Company]] = {}
        self._by_org: dict[str, dict[int, Company]] = {}
        self._by_name: dict[str, dict[int, Company]] = {}
        for company in companies:
            self.add(company)

    def add(self, company: Company) -> None:
        if company.isExternal:  # identified from a website visit: not in the account's database
            return
        number = custom_value(company, self._field_id)
        if number is not None:
            self._by_number.setdefault(number, {})[company.id] = company
        org = matched_org_number(company.orgNo)
        if org is not None:
            self._by_org.setdefault(org, {})[company.id] = company
        name = normalise_name(company.name)
        if name is not None:
            self._by_name.setdefault(name, {})[company.id] = company

    def mark_linked(self, company_id: int) -> None:
        self._linked.add(company_id)

    def _free(self, found: dict[int, Company] | None) -> list[Company]:
        return [c for _, c in sorted((found or {}).items()) if c.id not in self._linked]

    def match(self, customer: Customer) -> CompanyMatch:
        number = clean(customer.CustomerNumber)
        org = matched_org_number(customer.OrganisationNumber)
        names = {normalise_name(name) or "" for name in names_held(customer)}
        # (on what, the free companies found, whether one found alone is the customer's)
        steps: list[tuple[MatchedOn, list[Company], bool]] = []
        if number is not None:
            steps.append((MatchedOn.CUSTOMER_NUMBER, self._free(self._by_number.get(number)), True))
        if org is not None:  # offices sharing the number: only the one with the name is it
            holding = self._by_org.get(org) or {}
            by_org = self._free(holding)
            named_so = [c for c in by_org if normalise_name(c.name) in names]
            if len(named_so) == 1:
                steps.append((MatchedOn.ORG_NUMBER, named_so, True))
            else:
                steps.append((MatchedOn.ORG_NUMBER, by_org, len(holding) == 1))
        if names:
            named = {c.id: c for name in names for c in self._free(self._by_name.get(name))}
            by_name = [
                company
                for company in sorted(named.values(), key=lambda c: c.id)
                if matched_org_number(company.orgNo) in (None, org)
                or (org is None and matched_org_number(company.orgNo) not in self.claimed)
            ]
            steps.append((MatchedOn.NAME, by_name, True))
        for matched_on, found, alone_links in steps:
            if len(found) == 1 and alone_links:
                return CompanyMatch(MatchKind.LINK, found[0], matched_on, (found[0],))
            if found:
                return CompanyMatch(MatchKind.AMBIGUOUS, None, matched_on, tuple(found))
        return CREATE


def match_company(
    customer: Customer,
    candidates: Iterable[Company],
    *,
    customer_number_field_id: int | None = None,
    linked_company_ids: Collection[int] = (),
) -> CompanyMatch:
    """Which Upsales company a Fortnox customer is (``link``), none (``create``), or unclear
    (``ambiguous``, never guessed)."""
    index = CompanyIndex(
        candidates,
        customer_number_field_id=customer_number_field_id,
        linked_company_ids=linked_company_ids,
    )
    return index.match(customer)
