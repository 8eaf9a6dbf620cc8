"""The jobs of inbound sync: Fortnox customers, articles, documents and payments into
Upsales, re-pricing, and the refreshes of the products' stock and currency prices and of the
linked orders' payment status and document links. Each re-reads
its entity from Fortnox (404 = deleted): the job payload (the event that queued it) is never
relied on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from upsales_fortnox.documents.service import LinkSigning
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.jobs.dispatch import Handler, HandlerRegistry, JobContext
from upsales_fortnox.jobs.results import JobResult
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.inbound.article_sync import sync_article
from upsales_fortnox.sync.inbound.customer_sync import sync_customer
from upsales_fortnox.sync.inbound.document_sync import sync_document
from upsales_fortnox.sync.inbound.extras_refresh import refresh_product_extras
from upsales_fortnox.sync.inbound.inbound_job import CustomFieldCache, InboundJob
from upsales_fortnox.sync.inbound.order_fields_refresh import refresh_order_fields
from upsales_fortnox.sync.inbound.payment_sync import sync_payment
from upsales_fortnox.sync.inbound.price_list_cache import PriceListCache
from upsales_fortnox.sync.inbound.reprice import reprice_products
from upsales_fortnox.sync.money.deleted_payment import sync_deleted_payment
from upsales_fortnox.sync.results.inbound import (
    ArticleSyncResult,
    CustomerSyncResult,
    DocumentSyncResult,
    PaymentSyncResult,
)
from upsales_fortnox.vocabulary import FortnoxType, JobKind

DOCUMENT_KINDS: Final = {
    JobKind.FORTNOX_ORDER: FortnoxType.ORDER,
    JobKind.FORTNOX_INVOICE: FortnoxType.INVOICE,
    JobKind.FORTNOX_OFFER: FortnoxType.OFFER,
}
"""The Fortnox document each document job kind syncs."""

JobBody = Callable[[InboundJob, JobContext], Awaitable[JobResult]]


def _entity_id(ctx: JobContext) -> str:
    if not ctx.entity_id or not ctx.entity_id.strip():
        raise PermanentError(f"a {ctx.kind} job needs the Fortnox entity's number")
    return ctx.entity_id.strip()


async def _customer(job: InboundJob, ctx: JobContext) -> CustomerSyncResult:
    return await sync_customer(job, _entity_id(ctx))


async def _article(job: InboundJob, ctx: JobContext) -> ArticleSyncResult:
    return await sync_article(job, _entity_id(ctx))


async def _payment(job: InboundJob, ctx: JobContext) -> PaymentSyncResult:
    return await sync_payment(job, _entity_id(ctx))


async def _deleted_payment(job: InboundJob, ctx: JobContext) -> PaymentSyncResult:
    return await sync_deleted_payment(job, _entity_id(ctx))


async def _document(job: InboundJob, ctx: JobContext) -> DocumentSyncResult:
    return await sync_document(job, DOCUMENT_KINDS[JobKind(ctx.kind)], _entity_id(ctx))


def register_inbound_handlers(
    registry: HandlerRegistry,
    services: Services,
    *,
    fields: CustomFieldCache | None = None,
    price_lists: PriceListCache | None = None,
) -> None:
    """Register the handlers of ``fortnox.customer``, ``fortnox.article``, ``fortnox.order``,
    ``fortnox.invoice``, ``fortnox.offer``, ``fortnox.invoicepayment``, ``reprice_products``,
    ``refresh_product_extras`` and ``refresh_order_fields``."""
    field_cache = fields or CustomFieldCache()
    price_list_cache = price_lists or PriceListCache()

    def bind(body: JobBody) -> Handler:
        async def handler(ctx: JobContext) -> JobResult:
            context = await installation_context(services, ctx.installation_id, ctx)
            job = InboundJob(
                context,
                services.session_factory,
                field_cache,
                link_signing=LinkSigning.of(services.settings),
                price_lists=price_list_cache,
            )
            return await body(job, ctx)

        return handler

    registry.register(JobKind.FORTNOX_CUSTOMER, bind(_customer))
    registry.register(JobKind.FORTNOX_ARTICLE, bind(_article))
    for kind in DOCUMENT_KINDS:
        registry.register(kind, bind(_document))
    registry.register(JobKind.FORTNOX_INVOICE_PAYMENT, bind(_payment))
    registry.register(JobKind.FORTNOX_INVOICE_PAYMENT_DELETED, bind(_deleted_payment))
    # one Fortnox call per product, every day, a batch per job: won deals run beside a batch
    # (it writes only the products' list prices, which no won deal writes; article syncs, which
    # do, wait for the batch, not for the whole re-pricing)
    registry.register(JobKind.REPRICE_PRODUCTS, bind(reprice_products), side_by_side=True)
    registry.register(JobKind.REFRESH_PRODUCT_EXTRAS, bind(refresh_product_extras))
    registry.register(JobKind.REFRESH_ORDER_FIELDS, bind(refresh_order_fields))
