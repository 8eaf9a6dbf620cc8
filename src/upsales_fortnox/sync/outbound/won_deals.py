"""The ``upsales.order`` job: a won deal becomes a Fortnox invoice or order.

It re-reads the order from Upsales (the webhook is only a hint), loads links, asks the pure
decisions in :mod:`.decide` what to do, applies that through the Fortnox client, and records
links (with fingerprints) and a job result naming the ids it wrote, e.g.
``{"outcome": "created", "upsales_order": 7, "fortnox_invoice": "12", ...}``. Result keys that
name entities (``upsales_order``, ``upsales_company``, ``fortnox_invoice``, ``fortnox_order``,
``fortnox_customer``) are what the per-entity history searches.

A won deal in steady state (company and products linked) costs one Upsales call (GET order)
and one Fortnox call (POST): the intent to create is committed first, and the search by order
reference (:mod:`.reference`) is made only when an earlier attempt left one (:mod:`.intents`).
An edit costs one Fortnox call (PUT): the order link keeps the rows our last write left
(``synced_fields``, see :func:`.document.rows_to_keep`), so the document is read first only when
the link keeps none, or when Fortnox refuses the update (locked, or changed in Fortnox).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, bindparam, or_, select

from upsales_fortnox.documents.order_field import write_document_url
from upsales_fortnox.domain.commands import (
    CreateFortnoxDocument,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
)
from upsales_fortnox.domain.outbound.decide import (
    DocumentLookup,
    decide_document,
    document_lookup,
    order_gate,
)
from upsales_fortnox.domain.outbound.document_body import rows_to_keep
from upsales_fortnox.domain.outbound.mapping import fortnox_type_for, map_order
from upsales_fortnox.domain.outbound.rows import UnsendableOrder, required_product_ids
from upsales_fortnox.domain.outbound.validation import document_problems, refusal_message
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.links.repository import LinkView, save_link
from upsales_fortnox.models.link import Link
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import InstallationContext, installation_context
from upsales_fortnox.sync.outbound.article_numbers import resolve_article_numbers
from upsales_fortnox.sync.outbound.deal_customer import ensure_customer
from upsales_fortnox.sync.outbound.fortnox_documents import (
    RowsOutdated,
    document_missing,
    find_document_by_reference,
    get_document,
    write_document,
)
from upsales_fortnox.sync.outbound.intents import record_intent
from upsales_fortnox.sync.results.outbound import DealCustomer, WonDealOutcome, WonDealResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, JobKind, LinkEntity, ProductBundleMode


def register_won_deal_handler(registry: HandlerRegistry, services: Services) -> None:
    async def order_job(ctx: JobContext) -> WonDealResult:
        return await sync_won_order(services, ctx.installation_id, upsales_id(ctx), job=ctx)

    registry.register(JobKind.UPSALES_ORDER, order_job)


def upsales_id(ctx: JobContext) -> int:
    """The Upsales id the job names (its ``entity_id``)."""
    if ctx.entity_id is None or not ctx.entity_id.isdigit():
        raise PermanentError(f"job {ctx.kind} needs an Upsales id, not {ctx.entity_id!r}")
    return int(ctx.entity_id)


@dataclass(frozen=True)
class _OrderLinks:
    order: LinkView | None
    company: LinkView | None
    articles: dict[int, str]
    sent_before: bool
    """No order link, but an earlier attempt recorded its intent to create the document."""


_LINKS = cast(Table, Link.__table__)
_INSTALLATION_ID = bindparam("installation_id", type_=_LINKS.c.installation_id.type)
_ORDER_LINKS = (
    select(
        _LINKS.c.entity,
        _LINKS.c.upsales_id,
        _LINKS.c.fortnox_type,
        _LINKS.c.fortnox_id,
        _LINKS.c.fingerprint,
        _LINKS.c.synced_fields,
    )
    .where(
        _LINKS.c.installation_id == _INSTALLATION_ID,
        or_(
            and_(
                _LINKS.c.entity == LinkEntity.ORDER.value,
                _LINKS.c.upsales_id == bindparam("order_id", type_=Integer()),
            ),
            and_(
                _LINKS.c.entity == LinkEntity.COMPANY.value,
                _LINKS.c.upsales_id == bindparam("company_id", type_=Integer()),
                _LINKS.c.fortnox_type == FortnoxType.CUSTOMER.value,
            ),
            and_(
                _LINKS.c.entity == LinkEntity.PRODUCT.value,
                _LINKS.c.fortnox_type == FortnoxType.ARTICLE.value,
                _LINKS.c.upsales_id.in_(bindparam("product_ids", expanding=True)),
            ),
        ),
    )
    .order_by(_LINKS.c.id)
)
"""Built once: building it took longer than running it. A ``company_id`` of ``None`` and an
empty ``product_ids`` match nothing."""


def _link_view(row: Any) -> LinkView:
    return LinkView(
        entity=LinkEntity(row.entity),
        upsales_id=row.upsales_id,
        fortnox_type=FortnoxType(row.fortnox_type),
        fortnox_id=row.fortnox_id,
        fingerprint=row.fingerprint,
        synced_fields=dict(row.synced_fields) if row.synced_fields is not None else None,
    )


async def _order_links(
    services: Services,
    installation_id: uuid.UUID,
    order: Order,
    mode: ProductBundleMode,
    intent: FortnoxType | None,
) -> _OrderLinks:
    """Every link a won deal needs (its own, its company's, its products'), in one query; and
    with ``intent`` (the type of document a won deal is sent as), when the order has no link
    yet, its intent to create that document, recorded in the same transaction (committed
    before any Fortnox call, see :mod:`.intents`)."""
    params = {
        "installation_id": installation_id,
        "order_id": order.id,
        "company_id": order.client.id if order.client is not None else None,
        "product_ids": required_product_ids(order.orderRow or [], mode),
    }
    sent_before = False
    async with services.engine.begin() as connection:
        found = [_link_view(row) for row in await connection.execute(_ORDER_LINKS, params)]
        order_links = [link for link in found if link.entity is LinkEntity.ORDER]
        if intent is not None and not order_links:
            first = await record_intent(connection, installation_id, order.id, intent)
            sent_before = not first
    companies = [link for link in found if link.entity is LinkEntity.COMPANY]
    return _OrderLinks(
        order=order_links[0] if order_links else None,
        company=companies[0] if companies else None,
        articles={
            link.upsales_id: link.fortnox_id for link in found if link.entity is LinkEntity.PRODUCT
        },
        sent_before=sent_before,
    )


async def sync_won_order(
    services: Services, installation_id: uuid.UUID, order_id: int, *, job: JobContext | None = None
) -> WonDealResult:
    context = await installation_context(services, installation_id, job)
    try:
        order = await context.upsales.get_order(order_id)
    except UpsalesNotFound:
        return WonDealResult(order_id, "skipped", "the order no longer exists in Upsales")
    gate = order_gate(order)
    sent_as = fortnox_type_for(context.settings.sync_type)
    links = await _order_links(
        services,
        installation_id,
        order,
        context.settings.product_bundles,
        intent=sent_as if gate is None else None,
    )
    link = links.order
    linked = FortnoxRef(link.fortnox_type, link.fortnox_id) if link is not None else None
    if gate is not None:
        return WonDealResult(
            order_id, "skipped", gate.reason, document=linked, linked_before=linked is not None
        )
    assert order.client is not None
    customer = await ensure_customer(
        services.session_factory,
        installation_id,
        context.fortnox,
        context.upsales,
        order.client.id,
        links.company,
    )
    made_out_to = DealCustomer(
        upsales_company=order.client.id,
        customer_number=customer.customer_number,
        how=customer.how,
        written_back=customer.written_back,
        note=customer.note or None,
    )
    fortnox_type = link.fortnox_type if link is not None else sent_as
    synced = await _sync_document(
        services,
        context,
        installation_id,
        order,
        links,
        fortnox_type,
        customer.customer_number,
        job,
    )
    return replace(synced, upsales_order=order_id, customer=made_out_to)


async def _sync_document(
    services: Services,
    context: InstallationContext,
    installation_id: uuid.UUID,
    order: Order,
    links: _OrderLinks,
    fortnox_type: FortnoxType,
    customer_number: str,
    job: JobContext | None,
) -> WonDealResult:
    """The order's document written (or left); the result without its customer."""
    mode = context.settings.product_bundles
    link = links.order
    articles = await resolve_article_numbers(
        services.session_factory,
        installation_id,
        context.fortnox,
        context.upsales,
        required_product_ids(order.orderRow or [], mode),
        links.articles,
    )
    draft = map_order(
        order,
        fortnox_type=fortnox_type,
        customer_number=customer_number,
        article_numbers=articles.by_product,
        bundle_mode=mode,
        product_names=articles.product_names,
    )
    problems = document_problems(draft)
    if problems:
        raise UnsendableOrder(refusal_message(f"The order {order.id}", problems))
    lookup = document_lookup(draft, link, sent_before=links.sent_before)
    existing = None
    if lookup is DocumentLookup.SEARCH:
        existing = await find_document_by_reference(context.fortnox, fortnox_type, order.id)
    elif lookup is DocumentLookup.GET:
        assert link is not None
        try:
            existing = await get_document(context.fortnox, fortnox_type, int(link.fortnox_id))
        except FortnoxNotFound:
            raise document_missing(fortnox_type, link.fortnox_id) from None
    result = partial(
        WonDealResult,
        order.id,
        net=str(draft.net),
        products_linked=tuple(articles.linked_now),
        linked_before=link is not None,
    )
    decision = decide_document(draft, link, existing)
    try:
        written = await write_document(context.fortnox, decision, existing)
    except FortnoxNotFound:
        if link is None or existing is not None:
            raise
        raise document_missing(fortnox_type, link.fortnox_id) from None
    except RowsOutdated as outdated:  # changed in Fortnox since our write: decide on it as it is
        decision = decide_document(draft, link, outdated.current)
        written = await write_document(context.fortnox, decision, outdated.current)
    if isinstance(decision, NoChange):
        if link is None:
            return result("no_change", decision.reason)
        linked = FortnoxRef(link.fortnox_type, link.fortnox_id)
        unchanged = result("no_change", decision.reason, document=linked)
        return await _with_document_url(services, context, order, unchanged)
    assert written is not None and not isinstance(decision, RefuseDocumentChange)
    outcome: WonDealOutcome
    if isinstance(decision, CreateFortnoxDocument):
        outcome, number = "created", written.DocumentNumber
    elif isinstance(decision, LinkFortnoxDocument):
        outcome, number = "found_and_linked", decision.document_number
    else:
        outcome = "updated" if link is not None else "found_and_updated"
        number = decision.document_number
    link_write = partial(
        save_link,
        installation_id=installation_id,
        entity=LinkEntity.ORDER,
        upsales_id=order.id,
        fortnox_type=fortnox_type,
        fortnox_id=str(number),
        fingerprint=decision.fingerprint,
        synced_fields=rows_to_keep(written),
    )
    if job is not None:  # with the job's completion: one transaction fewer (see .intents)
        job.save_with_completion(link_write)
    else:
        async with services.engine.begin() as connection:
            await link_write(connection)
    done = result(outcome, document=FortnoxRef(fortnox_type, str(number)))
    return await _with_document_url(services, context, order, done)


async def _with_document_url(
    services: Services, context: InstallationContext, order: Order, result: WonDealResult
) -> WonDealResult:
    """``result``, after its document's link is put on the order (setting ``documentLinks``;
    a link made with a rotated key is replaced on the next sync of the order)."""
    if not context.settings.document_links or result.document is None:
        return result
    document = result.document
    written = await write_document_url(
        services,
        context.installation_id,
        context.upsales,
        order,
        document.fortnox_type,
        document.number,
    )
    return replace(result, document_url=written)
