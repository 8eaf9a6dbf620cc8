"""The money of a deal's earlier invoices, shown with that of the invoice it links.

A deal won again after its invoice was credited keeps that invoice as an earlier one
(:mod:`upsales_fortnox.links.repository.earlier_deal_documents`). Should the credit be
cancelled, the deal has two live invoices, both owed: its order shows their money together
(:func:`~upsales_fortnox.domain.payment_status.deal_state`), and an earlier invoice's own
events (its payments') write the deal's through the invoice it links (:func:`deal_of_earlier`).
Cost: a database read per invoice synced; a Fortnox read of each earlier invoice marked live
(none for a deal that has none), as the invoice it links is read."""

from __future__ import annotations

from upsales_fortnox.domain.inbound.earlier_document_rules import live_earlier
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.links.repository.earlier_deal_documents import (
    earlier_document,
    earlier_documents_of,
)
from upsales_fortnox.sync.deal_rest import read_invoice
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.deal_parts import linked_invoice
from upsales_fortnox.vocabulary import FortnoxType


async def earlier_live_invoices(job: InboundJob, deal_id: int, linked: Invoice) -> list[Invoice]:
    """The deal's earlier invoices marked live, read (those Fortnox no longer has, or that are
    cancelled, left out), other than ``linked``, the invoice it links."""
    async with job.session_factory() as session:
        connection = await session.connection()
        earlier = await earlier_documents_of(connection, job.installation_id, deal_id)
    invoices: list[Invoice] = []
    for link in live_earlier(earlier):
        if link.fortnox_type is not FortnoxType.INVOICE:
            continue
        if link.fortnox_id == str(linked.DocumentNumber):
            continue
        invoice = await read_invoice(job.context.fortnox, link.fortnox_id)
        if invoice is not None and not invoice.Cancelled and not invoice.Credit:
            invoices.append(invoice)
    return invoices


async def deal_of_earlier(job: InboundJob, invoice: Invoice) -> tuple[int, str] | None:
    """For an earlier invoice of a deal: the deal and the invoice it links, whose money the deal
    shows with this one's (None when it is none, or the deal links no invoice)."""
    async with job.session_factory() as session:
        connection = await session.connection()
        earlier = await earlier_document(
            connection, job.installation_id, FortnoxType.INVOICE, str(invoice.DocumentNumber)
        )
    if earlier is None:
        return None
    linked = await linked_invoice(job, earlier.upsales_id)
    return (earlier.upsales_id, linked) if linked is not None else None
