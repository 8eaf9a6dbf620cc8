"""The ``upsales.order`` job: a won deal becomes a Fortnox invoice or order.

It re-reads the order from Upsales (a hook is only a hint), asks :mod:`.document_decision` what
to do, applies it through the Fortnox client, and records links (with fingerprints) and a result
naming the ids written (``{"outcome": "created", "fortnox_invoice": "12", ...}``) for history.

A won deal in steady state (company and products linked) costs one Upsales call (GET order)
and one Fortnox call (POST): the intent to create is committed first, and the search by order
reference (:mod:`.earlier_create`) is made only when an earlier attempt left one
(:mod:`~upsales_fortnox.links.repository.document_intents`). An edit costs one Fortnox call
(PUT): the order link keeps the rows our last write left (``synced_fields``, see
:func:`.kept_rows.rows_to_keep`), so the document is read first only when the link keeps none,
or when Fortnox refuses the update (locked, or changed in Fortnox); one that moves the document
to a customer linked already reads it too (:mod:`.document_customer`). A linked document that
keeps no rows is read before anything of the order is mapped: one made in Fortnox (imported, or
the order Fortnox made of the deal's offer) is left as it is (:func:`read_before_mapping`), so
the product of a row it has without an article, which has no article, does not stop the job.

The deal's links go one way, through the links repository's
:class:`~upsales_fortnox.links.repository.won_deal_links.WonDealLinks`: read (with the intent),
the company's and products' links saved as they are made (:mod:`.deal_customer`,
:mod:`.article_numbers`), the order link with the job's completion. Won deals run side by side;
those that may make what deals share take turns (:mod:`.deals_apart`). An order the Fortnox
sync made whose link it has yet to save is not sent (:mod:`.imported_order`)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from functools import partial

from upsales_fortnox.documents.order_field import write_document_url
from upsales_fortnox.domain.inbound.document_changes import document_fingerprint
from upsales_fortnox.domain.outbound.added_rows import rows_kept
from upsales_fortnox.domain.outbound.document_body import FortnoxDocument
from upsales_fortnox.domain.outbound.document_decision import (
    DocumentDecision,
    DocumentLookup,
    document_lookup,
    made_in_fortnox,
    read_before_mapping,
)
from upsales_fortnox.domain.outbound.mapping import fortnox_type_for, map_order
from upsales_fortnox.domain.outbound.order_gate import order_gate
from upsales_fortnox.domain.outbound.rows import (
    UnsendableOrder,
    products_of_every_mode,
    required_product_ids,
)
from upsales_fortnox.domain.outbound.validation import document_problems, refusal_message
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Order as FortnoxOrder
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.links.repository.deal_link_read import DealLinks
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import InstallationContext, installation_context
from upsales_fortnox.sync.outbound.article_numbers import resolve_article_numbers
from upsales_fortnox.sync.outbound.deal_customer import ensure_customer
from upsales_fortnox.sync.outbound.deals_apart import deal_links_apart
from upsales_fortnox.sync.outbound.deleted_order import deleted_order_result
from upsales_fortnox.sync.outbound.document_customer import DocumentCustomer
from upsales_fortnox.sync.outbound.earlier_create import find_earlier_document, intent_recorded
from upsales_fortnox.sync.outbound.fortnox_documents import (
    RowsOutdated,
    document_missing,
    get_document,
    write_document,
)
from upsales_fortnox.sync.outbound.imported_order import imported_unlinked
from upsales_fortnox.sync.outbound.inactive_customer import inactive_customer_told
from upsales_fortnox.sync.outbound.job_entity import upsales_id
from upsales_fortnox.sync.outbound.sent_creates import create_on_its_way
from upsales_fortnox.sync.outbound.sent_invoice import changed_after_sent
from upsales_fortnox.sync.outbound.set_aside_order import open_again_or_set_aside
from upsales_fortnox.sync.outbound.won_offer import order_of_offer
from upsales_fortnox.sync.results.outbound import DealCustomer, WonDealOutcome, WonDealResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, JobKind


def register_won_deal_handler(registry: HandlerRegistry, services: Services) -> None:
    async def order_job(ctx: JobContext) -> WonDealResult:
        return await sync_won_order(services, ctx.installation_id, upsales_id(ctx), job=ctx)

    registry.register(JobKind.UPSALES_ORDER, order_job, side_by_side=True)  # see .deals_apart


async def sync_won_order(
    services: Services, installation_id: uuid.UUID, order_id: int, *, job: JobContext | None = None
) -> WonDealResult:
    context = await installation_context(services, installation_id, job)
    try:
        order = await context.upsales.get_order(order_id)
    except UpsalesNotFound:  # its document, if any, is left in Fortnox and said to be
        return await deleted_order_result(services, context, order_id)
    gate = order_gate(order)
    sent_as = fortnox_type_for(context.settings.sync_type)
    product_ids = required_product_ids(order.orderRow or [], context.settings.product_bundles)

    def links_of(with_completion: bool) -> WonDealLinks:
        saving = job.save_with_completion if job is not None and with_completion else None
        return WonDealLinks(services.session_factory, installation_id, with_completion=saving)

    async def read(deal_links: WonDealLinks) -> DealLinks:
        company_id = order.client.id if order.client is not None else None
        intent = sent_as if gate is None else None
        linked = products_of_every_mode(order.orderRow or [])  # a mode changed since sent
        return await deal_links.read(order.id, company_id, linked, intent=intent)

    beside = job.turn_cache if job is not None and gate is None else None
    async with deal_links_apart(beside, links_of, read, product_ids) as (deal_links, links):
        return await _sync_linked(services, context, order, gate, sent_as, deal_links, links)


async def _sync_linked(
    services: Services,
    context: InstallationContext,
    order: Order,
    gate: NoChange | None,
    sent_as: FortnoxType,
    deal_links: WonDealLinks,
    links: DealLinks,
) -> WonDealResult:
    """The deal synced, its links read (``gate``: why it is not sent, if it is not)."""
    order_id = order.id
    link = links.order
    linked = FortnoxRef(link.fortnox_type, link.fortnox_id) if link is not None else None
    if gate is not None:
        return WonDealResult(
            order_id, "skipped", gate.reason, document=linked, linked_before=linked is not None
        )
    if (imported := await imported_unlinked(services, context, order, links)) is not None:
        return imported
    if link is not None and link.fortnox_type is FortnoxType.OFFER:
        return await _order_of_offer(services, context, order, links, deal_links)
    read = None
    if link is not None and read_before_mapping(link):
        read = await _linked_document(context, link.fortnox_type, link.fortnox_id)
        elsewhere = made_in_fortnox(read, order.id, link.fortnox_type)
        if elsewhere is not None:  # left as Fortnox has it: nothing of the order is mapped
            left = WonDealResult(
                order_id, "no_change", elsewhere.reason, document=linked, linked_before=True
            )
            return await _with_document_url(services, context, order, left)
    rest = None
    if links.set_aside is not None and links.sent_before is None:
        links, rest = await open_again_or_set_aside(services, context, deal_links, links, sent_as)
        if rest is not None and made_in_fortnox(rest, order.id, FortnoxType.ORDER) is not None:
            return await _rest_made_in_fortnox(services, context, order, rest, deal_links)
    assert order.client is not None
    try:
        return await _sync_deal(
            services, context, order, links, deal_links, sent_as, rest, linked_document=read
        )
    except Exception:
        await deal_links.withdraw_unsent_intent()
        raise


async def _sync_deal(
    services: Services,
    context: InstallationContext,
    order: Order,
    links: DealLinks,
    deal_links: WonDealLinks,
    sent_as: FortnoxType,
    rest: FortnoxOrder | None,
    *,
    linked_document: FortnoxDocument | None = None,
) -> WonDealResult:
    """The deal's customer made sure of, and its document written (``rest``, when it is to
    take that backorder for it; ``linked_document``: its linked one, when read already).

    When an earlier attempt left its intent, the document is searched for (and an earlier
    create waited for, :mod:`.earlier_create`) before the customer is looked for: that attempt
    may have sent the customer's create too, and the wait lets it land to be found (the wait is
    stored on the deal's noted customer create too). Without that wait (the document found, or
    linked), the customer's search waits for the deal's own noted create as for another
    deal's."""
    assert order.client is not None
    link = links.order
    found_earlier: FortnoxDocument | None = rest
    if link is None and links.sent_before is not None:
        found_earlier = await find_earlier_document(
            context.fortnox,
            deal_links,
            links.sent_before,
            order.id,
            settle_seconds=services.settings.fortnox_create_settle_seconds,
            passed_over=links.ended,
            credit_invoices=context.settings.credit_invoices,
        )
    customer = await ensure_customer(
        services.session_factory,
        context.installation_id,
        deal_links,
        context.fortnox,
        context.upsales,
        (order.id, order.client.id),
        links.company,
        settle_seconds=services.settings.fortnox_create_settle_seconds,
    )
    made_out_to = DealCustomer(
        upsales_company=order.client.id,
        customer_number=customer.customer_number,
        how=customer.how,
        written_back=customer.written_back,
        note=customer.note or None,
    )
    # A deal keeps the type its first attempt was sent as (a setting changed since applies to
    # deals not yet sent): one document per deal.
    fortnox_type = sent_as
    if link is not None:
        fortnox_type = link.fortnox_type
    elif links.sent_before is not None:
        fortnox_type = links.sent_before.fortnox_type
    synced = await _sync_document(
        services,
        context,
        order,
        links,
        deal_links,
        fortnox_type,
        DocumentCustomer(context.fortnox, customer.customer_number, customer.record),
        found_earlier if link is None else linked_document,
    )
    return replace(synced, upsales_order=order.id, customer=made_out_to)


async def _sync_document(
    services: Services,
    context: InstallationContext,
    order: Order,
    links: DealLinks,
    deal_links: WonDealLinks,
    fortnox_type: FortnoxType,
    customer: DocumentCustomer,
    found_earlier: FortnoxDocument | None,
) -> WonDealResult:
    """The order's document written (or left); the result without its customer.
    ``found_earlier``: what the search for an earlier attempt's document found, or the
    backorder a deal won again takes, either updated and linked; for a linked deal, its
    document when read already."""
    mode = context.settings.product_bundles
    link = links.order
    articles = await resolve_article_numbers(
        deal_links,
        context.fortnox,
        context.upsales,
        required_product_ids(order.orderRow or [], mode),
        links.articles,
    )
    draft = map_order(
        order,
        fortnox_type=fortnox_type,
        customer_number=customer.number,
        article_numbers=articles.by_product,
        bundle_mode=mode,
        product_names=articles.product_names,
    )
    problems = document_problems(draft)
    if problems:
        raise UnsendableOrder(refusal_message(f"The order {order.id}", problems))
    lookup = document_lookup(draft, link, sent_before=links.sent_before is not None)
    existing = found_earlier
    if lookup is DocumentLookup.GET and existing is None:
        assert link is not None
        existing = await _linked_document(context, fortnox_type, link.fortnox_id)
    result = partial(
        WonDealResult,
        order.id,
        net=str(draft.net),
        products_linked=tuple(articles.linked_now),
        linked_before=link is not None,
    )
    decision = await customer.decide(draft, link, existing)
    async with inactive_customer_told(context.fortnox, customer.number, fortnox_type.value):
        try:
            written = await _write(context, deal_links, decision, existing)
        except FortnoxNotFound:
            if link is None or existing is not None:
                raise
            raise document_missing(fortnox_type, link.fortnox_id) from None
        except RowsOutdated as outdated:  # changed in Fortnox since our write: decide on it now
            decision = await customer.decide(draft, link, outdated.current)
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
        outcome, number = "created", str(written.DocumentNumber)
    elif isinstance(decision, LinkFortnoxDocument):
        outcome, number = "found_and_linked", str(decision.document_number)
    else:
        outcome = "updated" if link is not None else "found_and_updated"
        number = str(decision.document_number)
    await deal_links.save_order_link(
        order.id, fortnox_type, number, decision.fingerprint, rows_kept(written, decision)
    )
    done = result(outcome, changed_after_sent(decision, written), FortnoxRef(fortnox_type, number))
    return await _with_document_url(services, context, order, done)


async def _linked_document(
    context: InstallationContext, fortnox_type: FortnoxType, number: str
) -> FortnoxDocument:
    try:
        return await get_document(context.fortnox, fortnox_type, int(number))
    except FortnoxNotFound:
        raise document_missing(fortnox_type, number) from None


async def _write(
    context: InstallationContext,
    deal_links: WonDealLinks,
    decision: DocumentDecision,
    existing: FortnoxDocument | None,
) -> FortnoxDocument | None:
    """:func:`.write_document`, telling ``deal_links`` whether a create was sent that may
    land (see :mod:`.sent_creates`)."""
    if not isinstance(decision, CreateFortnoxDocument):
        return await write_document(context.fortnox, decision, existing)
    recorded = partial(intent_recorded, deal_links, decision.upsales_order_id)
    async with create_on_its_way(deal_links, as_it_is_sent=recorded):
        return await write_document(context.fortnox, decision, existing)


async def _order_of_offer(
    services: Services,
    context: InstallationContext,
    order: Order,
    links: DealLinks,
    deal_links: WonDealLinks,
) -> WonDealResult:
    """The order Fortnox makes of the deal's offer, linked as Fortnox has it (:mod:`.won_offer`)."""
    settle = services.settings.fortnox_create_settle_seconds
    made, made_now = await order_of_offer(context.fortnox, deal_links, order.id, links, settle)
    number = str(made.DocumentNumber)
    await deal_links.save_order_link(
        order.id, FortnoxType.ORDER, number, document_fingerprint(made), None
    )
    outcome: WonDealOutcome = "made_from_offer" if made_now else "found_and_linked"
    done = WonDealResult(order.id, outcome, document=FortnoxRef(FortnoxType.ORDER, number))
    return await _with_document_url(services, context, order, done)


async def _rest_made_in_fortnox(
    services: Services,
    context: InstallationContext,
    order: Order,
    rest: FortnoxOrder,
    deal_links: WonDealLinks,
) -> WonDealResult:
    """The deal (imported) won again takes the open backorder of the order made in Fortnox it
    came from, linked as Fortnox has it: nothing of the order is sent (Fortnox stays its
    source), and no new order repeats the rest."""
    number = str(rest.DocumentNumber)
    await deal_links.save_order_link(
        order.id, FortnoxType.ORDER, number, document_fingerprint(rest), None
    )
    done = WonDealResult(
        order.id,
        "found_and_linked",
        f"the rest of the order made in Fortnox lives in its backorder {number}",
        document=FortnoxRef(FortnoxType.ORDER, number),
    )
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
