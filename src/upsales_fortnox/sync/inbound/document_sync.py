"""Syncing one Fortnox order, invoice or offer into Upsales (the shell around
:mod:`.decide_document`).

Before an order is created, the order a previous run may have created without recording its
link (a crash in between) is looked up by its ``FORTNOX_DOCUMENT`` custom value, or, where the
account has no such field, by its description and company; if found it is linked instead.
A document's unknown customer is imported first by the customer rule, unknown articles by the
article rule, and the document it was made from (an invoice's order, an order's offer) by this
rule when its module syncs, so the outcome does not depend on the order events arrive in.
A customer whose company was deleted in Upsales is synced first too (matched afresh, as its
own next change would be), so the order does not name a company Upsales no longer has.
A new document whose customer is inactive in Fortnox and in no Upsales company is skipped
(``customer_inactive``), as the initial import skips it: that customer is not brought to Upsales.
A document a deal won again had before (its link taken by the deal's new one) is synced as such
(:mod:`.earlier_document_sync`), and the cancellation of a deal's document leaves the deal won
while such an earlier one lives again, which is its document again (also for a deal the sales
rep lost, which stays lost).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from upsales_fortnox.domain.inbound.decide_customer import CUSTOMER_INACTIVE
from upsales_fortnox.domain.inbound.decide_document import (
    MODULE_TYPES,
    Action,
    DocumentPlan,
    LinkedOrder,
    Stage,
    document_commands,
    offer_probability,
    plan_document,
)
from upsales_fortnox.domain.inbound.document_changes import (
    FortnoxDocument,
    OrderReferences,
    description_made_here,
    descriptions_made_here,
    document_fingerprint,
    document_lines,
    document_number,
    document_type,
    is_cancelled,
    needs_fallback_product,
    order_description,
    predecessor,
    successor,
)
from upsales_fortnox.domain.inbound.users import order_user
from upsales_fortnox.domain.references import fortnox_document_reference, parse_outbound_reference
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.days import fortnox_today
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.filters import custom, eq
from upsales_fortnox.integrations.upsales.models import Order as UpsalesOrder
from upsales_fortnox.sync.deal_rest import in_order_chain, rest_lives, rest_split_off
from upsales_fortnox.sync.inbound.article_sync import fallback_product_id, sync_article
from upsales_fortnox.sync.inbound.customer_sync import sync_customer
from upsales_fortnox.sync.inbound.document_reads import fetch_document, order_state
from upsales_fortnox.sync.inbound.earlier_document_sync import (
    earlier_of,
    earlier_taking_deal,
    give_deal_back,
    sync_earlier_document,
)
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.backorder_money import sync_backorder_money
from upsales_fortnox.sync.money.credits import credit_leaves_live, reference
from upsales_fortnox.sync.money.invoice_money import credit_of, sync_invoice_money
from upsales_fortnox.sync.results.inbound import DocumentSyncResult
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


class DocumentCustomerMissing(PermanentError):
    code = "document_customer_missing"


class DocumentCustomerInactive(PermanentError):
    """The document's customer is inactive in Fortnox and in no Upsales company, so it is not
    brought to Upsales: a new document of it is skipped (``customer_inactive``), and a linked
    order whose document moves to such a customer stops with this error."""

    code = "document_customer_inactive"


async def sync_document(job: InboundJob, kind: FortnoxType, number: str) -> DocumentSyncResult:
    """Bring Upsales in line with one Fortnox document; the job result."""
    ref = FortnoxRef(kind, number)
    if parse_digits(number) is None:
        raise PermanentError(f"{number!r} is not a Fortnox document number")
    document = await fetch_document(job, kind, number)
    if document is None:
        return DocumentSyncResult.skipped(ref, "not_found")
    settings = job.context.settings
    if isinstance(document, Invoice) and document.Credit:
        return await sync_credit_invoice(job, document, ref)
    credit = None
    credit_live = False  # the credit it names leaves it live: cancelled, or partial
    if isinstance(document, Invoice):
        # read only when it names one: a cancelled credit credits nothing, whatever the
        # settings; the stage follows a partial credit only with creditInvoices
        credit = await credit_of(job, document)
        credit_live = credit_leaves_live(document, credit, credit_invoices=settings.credit_invoices)
    ended = bool(document.Cancelled) if credit_live else is_cancelled(document)
    fingerprint = document_fingerprint(document)
    own = await _linked(job, kind, number)
    earlier = await earlier_of(job, kind, number) if own is None else None
    if earlier is not None:  # of a deal won again since, which took its link
        kept = await sync_earlier_document(job, document, earlier, ended=ended, credit=credit)
        return DocumentSyncResult(
            ref, kept.outcome, kept.reason, upsales_order=kept.upsales_order, payment=kept.payment
        )
    previous = following = None
    before, after = predecessor(document), successor(document)
    if before is not None and own is None:
        previous = await _linked(job, *before)
        if previous is None and before[0] in MODULE_TYPES[settings.sync_type]:
            await sync_document(job, *before)  # import what it was made from first
            previous = await _linked(job, *before)
    if after is not None and own is None:
        following = await _linked(job, *after)
    has_another = False
    if previous is not None and previous.order is not None and ended:
        # a deal won again after this document was cancelled has a new one: left as it is
        deal = [previous.order.id]
        has_another = bool(await job.linked_elsewhere(LinkEntity.ORDER, kind, deal, number))
    outbound_id = parse_outbound_reference(getattr(document, "ExternalInvoiceReference1", None))
    outbound_order = None
    if outbound_id is not None and ended and own is None:
        # a deal won again after this document was cancelled has a new one: left as it is (in
        # an order's chain, Fortnox tells that below, with the rest of an order invoiced in part)
        replaced = not in_order_chain(document) and await job.linked_elsewhere(
            LinkEntity.ORDER, kind, [outbound_id], number
        )
        if not replaced:
            outbound_order = await order_state(job, outbound_id)
    planned = partial(
        plan_document,
        document,
        settings=settings,
        fingerprint=fingerprint,
        own=own,
        predecessor=previous,
        outbound_order=outbound_order,
        successor=following,
        partial_credit=credit_live,
        replaced=has_another,
    )
    plan = planned()
    rest = None  # the open backorder of an imported deal's order, taken as its document
    taking = None  # the deal's earlier document that takes its link back
    if plan.moves_to_lost and (deal_id := plan.order_id) is not None:
        credit_invoices = settings.credit_invoices
        live = await rest_lives(
            job.context.fortnox, document, deal_id, credit_invoices=credit_invoices
        )
        if not live:
            rest = await _rest_of_this_deal(job, document, deal_id)
        if live or rest is not None:
            plan = planned(rest_live=True)
        # else an earlier document of the deal won again, living again, takes it back
        elif taking := await earlier_taking_deal(job, deal_id, credit_invoices=credit_invoices):
            plan = replace(planned(rest_live=True), reason="earlier_document_lives")
    elif plan.reason == "already_lost" and plan.link and plan.order_id is not None:
        # the rep's lost stays, but a living earlier document is the deal's again all the same
        # (as its own next event would make it), so winning the deal again makes no other
        taking = await earlier_taking_deal(
            job, plan.order_id, credit_invoices=settings.credit_invoices
        )
    elif plan.reason == "cancellation_synced" and own is not None and own.order is not None:
        # a hand-back a run left undone (before it was one transaction with the mark): done now
        taking = await earlier_taking_deal(
            job, own.order.id, credit_invoices=settings.credit_invoices
        )
    if plan.action is Action.CREATE:
        plan = await _relink_lost_create(job, document, plan)
    try:
        refs = await order_references(job, document) if plan.needs_references else None
    except DocumentCustomerInactive:
        if plan.action is not Action.CREATE:
            raise
        # as the initial import skips it: its customer is not brought to Upsales either
        return DocumentSyncResult.skipped(ref, CUSTOMER_INACTIVE)
    commands = document_commands(
        plan,
        document,
        settings=settings,
        fingerprint=fingerprint,
        refs=refs,
        offer_probability=await _offer_probability(job) if plan.stage is Stage.OFFER else 0,
        today=fortnox_today(),
    )
    if rest is not None and plan.order_id is not None:
        commands = [*commands, rest_link(plan.order_id, rest)]
    # a hand-back saves this one's mark with it, in one transaction: a retry finds both or none
    created = await job.apply(commands if taking is None else [])
    order_id = plan.order_id if plan.order_id is not None else next(iter(created), None)
    money = None
    if taking is not None:
        await give_deal_back(job, taking.link, commands)
        if isinstance(taking.document, Invoice):
            money = await sync_invoice_money(job, taking.document, taking.credit)
    elif isinstance(document, Invoice):
        money = await sync_invoice_money(job, document, credit)
    elif isinstance(document, Order):  # a backorder's change changes what its deal has left
        money = await sync_backorder_money(job, document)
    return DocumentSyncResult(
        ref,
        "created" if created else plan.action.value,
        plan.reason,
        upsales_order=order_id,
        payment=money,
    )


async def _rest_of_this_deal(
    job: InboundJob, document: FortnoxDocument, order_id: int
) -> Order | None:
    """The open backorder split off the order the cancelled ``document`` was made of
    (:func:`rest_split_off`), leaving out those another deal took."""

    async def taken_by_another(backorder: Order) -> bool:
        taken = await job.link_by_fortnox(FortnoxType.ORDER, str(backorder.DocumentNumber))
        return taken is not None and taken.upsales_id != order_id

    return await rest_split_off(job.context.fortnox, document, order_id, taken_by_another)


def rest_link(order_id: int, rest: Order) -> SaveLink:
    """The deal's link to the open backorder of its rest, found by its rows (no reference of the
    deal): it takes the order link in place, so its own cancellation moves the deal to lost and
    the order it was split off leaves the deal as it is (``replaced``)."""
    number = str(rest.DocumentNumber)
    return SaveLink(
        LinkEntity.ORDER, order_id, FortnoxType.ORDER, number, document_fingerprint(rest)
    )


async def sync_credit_invoice(
    job: InboundJob, credit: Invoice, ref: FortnoxRef
) -> DocumentSyncResult:
    """A credit invoice: never an order of its own; the invoice it credits is synced again, so
    its order's stage (and, with ``paymentStatus``, its money fields) follows the credit
    whether or not Fortnox sends an event for that invoice too. One crediting an invoice we
    never linked is recorded in the result and ignored, unless it carries the outbound reference
    (a credit copies it): that invoice is of a deal of ours (made of its order's backorder),
    whose full credit may end the deal; or the invoice is a deal's earlier one (the deal won
    again since), which lives again when this credit is cancelled. ``ref``: the credit invoice
    as its job names it."""
    original = reference(credit.CreditInvoiceReference)
    if original is None:
        return DocumentSyncResult.skipped(ref, "credit_without_original")
    ours = parse_outbound_reference(credit.ExternalInvoiceReference1) is not None
    if (
        not ours
        and await job.link_by_fortnox(FortnoxType.INVOICE, original) is None
        and await earlier_of(job, FortnoxType.INVOICE, original) is None  # of a deal won again
    ):
        skipped = DocumentSyncResult.skipped(ref, "credit_of_unlinked_invoice")
        return replace(skipped, credits=original)
    synced = await sync_document(job, FortnoxType.INVOICE, original)
    return replace(synced, credit_invoice=str(credit.DocumentNumber))


async def _linked(job: InboundJob, kind: FortnoxType, number: str) -> LinkedOrder | None:
    link = await job.link_by_fortnox(kind, number)
    if link is None:
        return None
    return LinkedOrder(link, await order_state(job, link.upsales_id))


async def _relink_lost_create(
    job: InboundJob, document: FortnoxDocument, plan: DocumentPlan
) -> DocumentPlan:
    """A CREATE whose order exists already (created by a run that died before linking it)
    becomes a link to that order; unless that order is linked to another document of the
    type: its deal was won again after this one ended (an imported document, with no outbound
    reference), and the new one took its link in place."""
    upsales = job.context.upsales
    kind = document_type(document)
    number = str(document.DocumentNumber)
    field_id = await job.document_field_id()
    if field_id is not None:
        reference = fortnox_document_reference(kind.value, number)
        searches = [[custom(field_id, reference)]]
    else:  # by description, in each language the import has made it in
        described = order_description(document)
        searches = [[eq("description", text)] for text in descriptions_made_here(kind, number)]
    for filters in searches:
        async for order in upsales.iterate_orders(*filters):
            if field_id is None and description_made_here(order.description or "") != described:
                continue
            if field_id is not None and not _carries(order, field_id, reference):
                continue  # facts.CUSTOM_FILTER_MATCHES_WHOLE_VALUE: another document's order
            if await job.linked_elsewhere(LinkEntity.ORDER, kind, [order.id], number):
                # its deal, won again after it ended, has a new document of its type: left as is
                return DocumentPlan(Action.SKIP, "replaced")
            return DocumentPlan(Action.UPDATE, "relinked", order.id, link=True)
    return plan


def _carries(order: UpsalesOrder, field_id: int, reference: str) -> bool:
    """Whether the order's custom field ``field_id`` holds ``reference`` whole (letter case
    aside, as a filter that matches whole values compares it)."""
    wanted = reference.casefold()
    return any(
        item.fieldId == field_id and str(item.value or "").strip().casefold() == wanted
        for item in order.custom or ()
    )


async def order_references(job: InboundJob, document: FortnoxDocument) -> OrderReferences:
    """The Upsales ids the document's order needs, importing its customer and articles first
    when Upsales does not have them yet."""
    company_id = await _company_id(job, document)
    user_id = order_user(document.OurReference, await job.users(), job.context.settings)
    lines = document_lines(document)
    articles = sorted({line.article_number for line in lines if line.article_number})
    product_ids = await job.upsales_ids_by_fortnox(FortnoxType.ARTICLE, articles)
    for article_number in articles:
        if article_number in product_ids:
            continue
        synced = await sync_article(job, article_number)
        if synced.product_id is not None:
            product_ids[article_number] = synced.product_id
    fallback = None
    if needs_fallback_product(lines, product_ids):
        fallback = await fallback_product_id(job)
    return OrderReferences(
        company_id=company_id,
        user_id=user_id,
        product_ids=product_ids,
        fallback_product_id=fallback,
        document_field_id=await job.document_field_id(),
        document_url=await job.document_url_value(
            document_type(document), document_number(document)
        ),
    )


async def _company_id(job: InboundJob, document: FortnoxDocument) -> int:
    number = (document.CustomerNumber or "").strip()
    if not number:
        raise DocumentCustomerMissing(
            f"Fortnox {document_type(document).value} {document.DocumentNumber} has no customer"
        )
    link = await job.link_by_fortnox(FortnoxType.CUSTOMER, number)
    if link is not None and await _company_exists(job, link.upsales_id):
        return link.upsales_id
    # not in Upsales yet, or its company deleted there since: the customer's own sync brings
    # it (a deleted company is matched afresh, as the customer's next change would)
    synced = await sync_customer(job, number)
    if synced.company_id is None and synced.outcome == CUSTOMER_INACTIVE:
        raise DocumentCustomerInactive(
            f"Fortnox customer {number} of {document_type(document).value} "
            f"{document.DocumentNumber} is inactive and in no Upsales company; activate it in "
            "Fortnox to bring it to Upsales"
        )
    if synced.company_id is None:
        raise DocumentCustomerMissing(
            f"Fortnox customer {number} of {document_type(document).value} "
            f"{document.DocumentNumber} does not exist"
        )
    return synced.company_id


async def _offer_probability(job: InboundJob) -> int:
    return offer_probability(await job.stages(), job.context.settings.offer_stage)


async def _company_exists(job: InboundJob, company_id: int) -> bool:
    """Whether Upsales still has the linked company (one read): an order naming a company a
    person deleted there is refused. A deleted company reads 404
    (:data:`~upsales_fortnox.integrations.upsales.facts.DELETED_COMPANY_IS_NOT_FOUND`)."""
    try:
        await job.context.upsales.get_company(company_id)
    except UpsalesNotFound:
        return False
    return True
