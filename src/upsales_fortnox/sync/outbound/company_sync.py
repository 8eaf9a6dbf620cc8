"""The ``upsales.company`` job: a changed Upsales company updates its linked Fortnox customer.

It re-reads the company from Upsales (the webhook is only a hint), asks the pure decisions in
:mod:`.decide` what to change, and records the link's new fingerprint and a job result naming
the ids it touched (``upsales_company``, ``fortnox_customer``).
"""

from __future__ import annotations

import uuid

from upsales_fortnox.domain.inbound.companies import changed_beside_write, customer_fingerprint
from upsales_fortnox.domain.outbound.company import company_fields_from_upsales
from upsales_fortnox.domain.outbound.decide import company_gate, decide_company_update
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import last_written_by_api_key
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.outbound.custom_fields import account_field_ids
from upsales_fortnox.sync.outbound.job_entity import upsales_id
from upsales_fortnox.sync.results.outbound import CompanySyncResult
from upsales_fortnox.vocabulary import FortnoxType, JobKind, LinkEntity


def register_company_handler(registry: HandlerRegistry, services: Services) -> None:
    async def company_job(ctx: JobContext) -> CompanySyncResult:
        return await sync_company(services, ctx.installation_id, upsales_id(ctx), job=ctx)

    registry.register(JobKind.UPSALES_COMPANY, company_job)


async def sync_company(
    services: Services,
    installation_id: uuid.UUID,
    company_id: int,
    *,
    job: JobContext | None = None,
) -> CompanySyncResult:
    async with services.session_factory() as session:
        link = await LinkStore(session, installation_id).by_upsales(
            LinkEntity.COMPANY, company_id, FortnoxType.CUSTOMER
        )
    if link is None:
        gate = company_gate(None, {})
        assert gate is not None
        return CompanySyncResult(company_id, "skipped", reason=gate.reason)
    number = link.fortnox_id
    context = await installation_context(services, installation_id, job)
    try:
        company = await context.upsales.get_company(company_id)
    except UpsalesNotFound:
        reason = "the company no longer exists in Upsales; its Fortnox customer is kept"
        return CompanySyncResult(company_id, "skipped", number, reason=reason)
    field_ids = await account_field_ids(services.session_factory, installation_id, context.upsales)
    fields = company_fields_from_upsales(company, field_ids)
    gate = company_gate(link, fields)
    if gate is not None:
        echo = last_written_by_api_key(company)
        return CompanySyncResult(
            company_id, "no_change", number, reason=gate.reason, api_key_write=echo
        )
    try:
        customer = await context.fortnox.get_customer(link.fortnox_id)
    except FortnoxNotFound:
        reason = "the Fortnox customer no longer exists; the Fortnox sync removes the link"
        return CompanySyncResult(company_id, "skipped", number, reason=reason)
    # A customer changed in Fortnox since the link's fingerprint has changes the Fortnox →
    # Upsales sync has yet to bring over: the link keeps that fingerprint, so the event of our
    # write (or of theirs) is not taken for our echo and brings them. One unchanged differs
    # from the base only where the link was made with a difference: an Upsales edit is sent.
    changed_in_fortnox = customer_fingerprint(customer) != link.fingerprint
    decision = decide_company_update(
        company_id, link, fields, customer, fortnox_unchanged=not changed_in_fortnox
    )
    if decision.changes is not None:
        read = customer
        customer = await context.fortnox.update_customer(link.fortnox_id, decision.changes)
        # a field our write did not send changed between our read and our write: the
        # bookkeeper's edit, which the event of it is to bring to Upsales
        changed_in_fortnox |= changed_beside_write(read, decision.changes, customer)
    async with services.session_factory() as session:
        await LinkStore(session, installation_id).save(
            LinkEntity.COMPANY,
            company_id,
            FortnoxType.CUSTOMER,
            link.fortnox_id,
            link.fingerprint if changed_in_fortnox else customer_fingerprint(customer),
            synced_fields=decision.synced_fields,
        )
        await session.commit()
    return CompanySyncResult(
        company_id,
        "updated" if decision.changes is not None else "no_change",
        number,
        updated_fields=tuple(decision.changed_fields),
        conflicts_kept_from_fortnox=tuple(decision.conflicts),
        changed_in_fortnox=tuple(decision.changed_in_fortnox),
    )
