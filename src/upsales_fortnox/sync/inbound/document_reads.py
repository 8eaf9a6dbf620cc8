"""Reads of one Fortnox document and of the Upsales order it is, for the document sync."""

from __future__ import annotations

from upsales_fortnox.domain.inbound.decide_document import UpsalesOrderState
from upsales_fortnox.domain.inbound.document_changes import FortnoxDocument
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Offer, Order
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.vocabulary import FortnoxType


async def fetch_document(job: InboundJob, kind: FortnoxType, number: str) -> FortnoxDocument | None:
    fortnox = job.context.fortnox
    document_number = int(number)
    try:
        if kind is FortnoxType.INVOICE:
            invoice: Invoice = await fortnox.get_invoice(document_number)
            return invoice
        if kind is FortnoxType.OFFER:
            offer: Offer = await fortnox.get_offer(document_number)
            return offer
        order: Order = await fortnox.get_order(document_number)
        return order
    except FortnoxNotFound:
        return None


async def order_state(job: InboundJob, order_id: int) -> UpsalesOrderState | None:
    try:
        order = await job.context.upsales.get_order(order_id)
    except UpsalesNotFound:
        return None
    return UpsalesOrderState(order.id, order.stage.id if order.stage else None, order.probability)
