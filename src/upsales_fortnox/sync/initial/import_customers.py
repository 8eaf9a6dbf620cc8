"""The customers phase: each Fortnox customer linked to the Upsales company it matches, or
created there.

Customers are imported from their list items (no read per customer): a list item lacks some
fields (country, visiting address, web page, VAT number), which the first change event fills
in. An ambiguous match is never guessed: it is reported with its candidates and skipped.

A customer without an organisation number does not take by its name a company whose number
another active Fortnox customer carries: that company is the other's, whichever comes first.

A customer whose number the tables cannot keep is skipped (``fortnox_id_too_long``, see
:mod:`upsales_fortnox.models.fortnox_ids`).

A customer inactive in Fortnox and not linked yet is skipped (``customer_inactive``): neither
created nor linked, as the change events do. List items carry no ``Active``, so the numbers of
the inactive customers are listed once before the phase (``filter=inactive``, see
:data:`~upsales_fortnox.integrations.fortnox.facts.CUSTOMER_LIST_ITEM_ACTIVE`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any, Final

from upsales_fortnox.domain.identity import matched_org_number
from upsales_fortnox.domain.inbound.companies import (
    as_written,
    company_changes,
    customer_fingerprint,
    is_empty,
    new_company,
)
from upsales_fortnox.domain.inbound.company_matching import (
    CompanyIndex,
    CompanyMatch,
    MatchedOn,
    MatchKind,
)
from upsales_fortnox.domain.inbound.decide_customer import synced_after_write
from upsales_fortnox.domain.initial_phases import PHASE_MODELS, SORT_KEYS, Phase, entity_id
from upsales_fortnox.domain.outbound.company import (
    ACCOUNT_ALIASES,
    AccountFieldIds,
)
from upsales_fortnox.domain.outbound.decide import customer_search
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateUpsalesCompany,
    LinkTarget,
    SaveLink,
    UpdateUpsalesCompany,
)
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Customer, Entity
from upsales_fortnox.integrations.upsales.models import Company
from upsales_fortnox.links.repository.link_reads import linked_upsales_ids
from upsales_fortnox.models.fortnox_ids import FORTNOX_ID_TOO_LONG, storable_fortnox_id
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_outcomes import (
    Job,
    Outcome,
    Run,
    carry_out,
    done,
    gather_outcomes,
)
from upsales_fortnox.sync.initial.indexes import (
    company_index,
    custom_field_id,
    slim_company,
)
from upsales_fortnox.sync.interpreter import Effects
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

MAX_CANDIDATES_REPORTED: Final = 10
INACTIVE: Final = "customer_inactive"


class CustomerImport:
    """The phase, with the index of Upsales' companies it matches against (built once)."""

    def __init__(
        self,
        ctx: ImportContext,
        effects: Effects,
        semaphore: asyncio.Semaphore,
        companies: CompanyIndex,
        field_ids: AccountFieldIds,
        inactive: frozenset[str] = frozenset(),
    ) -> None:
        self._inactive = inactive
        """The numbers of the customers inactive in Fortnox as the phase began."""
        self._ctx = ctx
        self._effects = effects
        self._semaphore = semaphore
        self._companies = companies
        self._field_ids = field_ids
        self._unclaimed: set[str] = set()
        """Organisation numbers no other active Fortnox customer carries (as asked)."""

    @classmethod
    async def prepare(
        cls, ctx: ImportContext, effects: Effects, semaphore: asyncio.Semaphore
    ) -> CustomerImport:
        fields = await ctx.upsales.list_custom_fields("account")
        field_ids = AccountFieldIds.of(
            {alias: custom_field_id(fields, alias) for alias in ACCOUNT_ALIASES}
        )
        linked = await linked_upsales_ids(
            ctx.session_factory, ctx.installation_id, LinkEntity.COMPANY
        )
        companies = await company_index(
            ctx.upsales, customer_number_field_id=field_ids.customer_number, linked_ids=linked
        )
        inactive = {
            customer.CustomerNumber
            async for customer in ctx.fortnox.iter_customers(filter="inactive")
            if customer.CustomerNumber
        }
        return cls(ctx, effects, semaphore, companies, field_ids, frozenset(inactive))

    async def list_page(self, number: int) -> ListPage[Entity]:
        phase = Phase.CUSTOMERS
        return await self._ctx.fortnox.list_page(
            PHASE_MODELS[phase], number, sort_by=SORT_KEYS[phase]
        )

    async def import_page(
        self,
        customers: Sequence[Entity],
        linked: dict[str, int],
        given_up: Collection[str] = (),
    ) -> list[Outcome | BaseException]:
        index = self._companies
        jobs: list[Job] = []
        for entity in customers:
            assert isinstance(entity, Customer)
            customer = _with_phone(entity)
            number = entity_id(customer) or ""
            entry: dict[str, Any] = {"fortnox_id": number, "name": customer.Name}
            if not storable_fortnox_id(number):  # a link could not hold it
                jobs.append((entry, done("skipped", {**entry, "reason": FORTNOX_ID_TOO_LONG})))
                continue
            if number in linked:
                jobs.append((entry, done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            if customer.Active is False or number in self._inactive:
                jobs.append((entry, done("skipped", {**entry, "reason": INACTIVE})))
                continue
            match = await self._match(customer, number)
            on = match.matched_on.value if match.matched_on else None
            if match.kind is MatchKind.AMBIGUOUS:
                candidates = [
                    {"id": c.id, "name": c.name, "orgNo": c.orgNo}
                    for c in match.candidates[:MAX_CANDIDATES_REPORTED]
                ]
                ambiguous = {**entry, "matched_on": on, "candidates": candidates}
                jobs.append((entry, done("ambiguous", ambiguous)))
                continue
            fp = customer_fingerprint(customer)
            target = LinkTarget(LinkEntity.COMPANY, FortnoxType.CUSTOMER, number, fp)
            if match.kind is MatchKind.LINK:
                assert match.company is not None
                company_id = match.company.id
                index.mark_linked(company_id)
                found = {**entry, "upsales_id": company_id, "matched_on": on}
                jobs.append((entry, self._link(customer, target.saved(company_id), found)))
                continue
            draft = new_company(customer, self._field_ids)
            # the company as made is the link's merge base (as in the Fortnox → Upsales sync)
            base = synced_after_write(None, draft, customer, self._field_ids)
            target = replace(target, synced_fields=base)
            jobs.append((entry, self._create(CreateUpsalesCompany(draft, target), entry)))
        return await gather_outcomes(jobs, self._semaphore, given_up)

    async def _match(self, customer: Customer, number: str) -> CompanyMatch:
        """The index's match, a name match leaving a company whose organisation number another
        active Fortnox customer carries: that company is the other's, whichever comes first
        (asked of Fortnox once per number, only for such a match)."""
        index = self._companies
        while True:
            match = index.match(customer)
            org = matched_org_number(match.company.orgNo) if match.company else None
            if match.matched_on is not MatchedOn.NAME or org is None or org in self._unclaimed:
                return match
            if not await self._carried_by_another(org, number):
                self._unclaimed.add(org)
                return match
            index.claimed.add(org)

    async def _carried_by_another(self, org: str, number: str) -> bool:
        search = customer_search({"organisation_number": org})
        async for other in self._ctx.fortnox.iter_customers(search=search):
            other_number = (other.CustomerNumber or "").strip()
            if (
                other_number not in (number, "")
                and other_number not in self._inactive
                and matched_org_number(other.OrganisationNumber) == org
            ):
                return True
        return False

    def _link(self, customer: Customer, link: SaveLink, entry: dict[str, Any]) -> Run:
        async def run() -> Outcome:
            # the preview reads the company too, so it reports "updated" as the run would
            current = await self._ctx.upsales.get_company(link.upsales_id)
            changes = company_changes(customer, current, self._field_ids, fill_only=True)
            commands: list[Command] = []
            if not is_empty(changes):
                commands.append(UpdateUpsalesCompany(link.upsales_id, changes))
            base = synced_after_write(None, as_written(current, changes), customer, self._field_ids)
            commands.append(replace(link, synced_fields=base))
            outcome, _ = await carry_out(commands, self._effects, entry, "linked")
            return outcome

        return run

    def _create(self, command: CreateUpsalesCompany, entry: dict[str, Any]) -> Run:
        async def run() -> Outcome:
            outcome, applied = await carry_out([command], self._effects, entry, "created")
            for company in applied.created:
                assert isinstance(company, Company)
                self._companies.add(slim_company(company, self._field_ids.customer_number))
                self._companies.mark_linked(company.id)
            return outcome

        return run


def _with_phone(customer: Customer) -> Customer:
    """List items name the phone ``Phone``; the entity (and the mapping) ``Phone1``."""
    phone = (customer.model_extra or {}).get("Phone")
    if customer.Phone1 is None and phone:
        return customer.model_copy(update={"Phone1": phone})
    return customer
