"""Syncing one Fortnox customer into Upsales (the shell around :mod:`.decide_customer`)."""

from __future__ import annotations

from upsales_fortnox.domain.identity import name_spellings, org_number_variants
from upsales_fortnox.domain.inbound.companies import names_held
from upsales_fortnox.domain.inbound.decide_customer import SentFor, decide_customer
from upsales_fortnox.domain.outbound.company import AccountFieldIds
from upsales_fortnox.domain.outbound.decide import company_sent_as, is_inactive
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound, FortnoxNumberUnreadable
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.filters import custom
from upsales_fortnox.integrations.upsales.models import Company
from upsales_fortnox.integrations.upsales.spellings import find_spelled
from upsales_fortnox.models.fortnox_ids import kept_fortnox_id
from upsales_fortnox.sync.inbound.deal_retry import retry_deals_of_active_customer
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.results.inbound import CustomerSyncResult
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def sync_customer(job: InboundJob, customer_number: str) -> CustomerSyncResult:
    """Bring Upsales in line with Fortnox customer ``customer_number`` (404: deleted); when it
    is active, the deals that died waiting for it to be activated are retried. A number no link
    could hold ends the job before anything is written
    (:func:`~upsales_fortnox.models.fortnox_ids.kept_fortnox_id`)."""
    kept_fortnox_id(customer_number)
    fortnox, upsales = job.context.fortnox, job.context.upsales
    try:
        customer: Customer | None = await fortnox.get_customer(customer_number)
    except FortnoxNumberUnreadable:
        raise  # it exists: not deleted
    except FortnoxNotFound:
        customer = None
    link = await job.link_by_fortnox(FortnoxType.CUSTOMER, customer_number)
    linked_company: Company | None = None
    if link is not None:
        try:
            linked_company = await upsales.get_company(link.upsales_id)
        except UpsalesNotFound:
            linked_company = None
    field_ids = await job.account_field_ids()
    candidates: list[Company] = []
    sent_for = None
    if customer is None or linked_company is None:
        candidates = await _candidates(job, customer_number, customer, field_ids)
    if customer is not None and linked_company is None:
        sent_for = await _sent_for(job, customer)
    company_ids = [c.id for c in candidates] + ([sent_for.company.id] if sent_for else [])
    linked_ids = await job.linked_elsewhere(
        LinkEntity.COMPANY, FortnoxType.CUSTOMER, company_ids, customer_number
    )
    decision = decide_customer(
        customer_number,
        customer,
        link=link,
        linked_company=linked_company,
        candidates=candidates,
        linked_company_ids=linked_ids,
        field_ids=field_ids,
        sent_for=sent_for,
    )
    created = await job.apply(decision.commands)
    if customer is not None and not is_inactive(customer):
        await retry_deals_of_active_customer(
            job.session_factory, job.installation_id, customer_number
        )
    company_id = (
        decision.company_id if decision.company_id is not None else next(iter(created), None)
    )
    return CustomerSyncResult(customer_number, decision.outcome, company_id)


async def _sent_for(job: InboundJob, customer: Customer) -> SentFor | None:
    """The company a won deal's noted create of this customer was sent for (its sent fields
    match the customer), as Upsales has it now."""
    found = company_sent_as(customer, await job.sent_customer_creates())
    if found is None:
        return None
    company_id, sent_fields = found
    try:
        company = await job.context.upsales.get_company(company_id)
    except UpsalesNotFound:
        return None
    return SentFor(company, sent_fields)


async def _candidates(
    job: InboundJob,
    customer_number: str,
    customer: Customer | None,
    field_ids: AccountFieldIds,
) -> list[Company]:
    """Upsales companies that may be this customer: carrying its number, its organisation
    number (in any notation) or its name."""
    upsales = job.context.upsales
    found: dict[int, Company] = {}
    if field_ids.customer_number is not None:
        async for company in upsales.iterate_companies(
            custom(field_ids.customer_number, customer_number)
        ):
            found[company.id] = company
    if customer is not None:
        spelled = org_number_variants(customer.OrganisationNumber)
        for company in await find_spelled(upsales.iterate_companies, "orgNo", spelled):
            found[company.id] = company
        for name in names_held(customer):
            spelled = name_spellings(name)
            for company in await find_spelled(upsales.iterate_companies, "name", spelled):
                found[company.id] = company
    return [found[company_id] for company_id in sorted(found)]
