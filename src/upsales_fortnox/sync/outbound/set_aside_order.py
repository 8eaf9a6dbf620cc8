"""A deal won again after the invoice made of its Fortnox order ended (that order set aside:
:mod:`upsales_fortnox.domain.outbound.deal_documents`): the order taken back when Fortnox has
opened it again, else the open backorder of its rest taken for its document, else a new order,
unless the rest was invoiced and that invoice lives (a new order would repeat it). An order
made in Fortnox (an imported deal) has its backorder found by its customer and rows, and taken
as Fortnox has it; a backorder another deal took is left out, one alone of its kind is taken,
and any left that was invoiced keeps the deal from a new order (it may be the deal's rest)."""

from __future__ import annotations

from functools import partial

from upsales_fortnox.domain.inbound.document_changes import invoice_made_of
from upsales_fortnox.domain.outbound.deal_documents import rest_to_take
from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Order as FortnoxOrder
from upsales_fortnox.links.repository.deal_link_read import DealLinks
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.deal_rest import invoice_lives
from upsales_fortnox.sync.outbound.fortnox_documents import (
    DocumentLocked,
    backorders_split_off,
    open_backorders,
)
from upsales_fortnox.vocabulary import FortnoxType


async def open_again_or_set_aside(
    services: Services,
    context: InstallationContext,
    deal_links: WonDealLinks,
    links: DealLinks,
    sent_as: FortnoxType,
) -> tuple[DealLinks, FortnoxOrder | None]:
    """The deal's links, its set-aside order its document again when Fortnox has opened it
    again since the invoice made of it ended (``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``);
    and, when it stays invoiced and deals are sent as orders, the open backorder of its rest
    the deal takes instead of a new order (:func:`rest_to_take`), if any. The backorders of
    an order made in Fortnox (the deal imported) carry no reference of the deal: they are found
    by their customer and rows (:func:`backorders_split_off`), those another deal took left out
    (the alike rest of another order); one taken is linked as Fortnox has it (Fortnox stays its
    source). When several are left, none is the deal's for sure: none is taken, and any of them
    invoiced (its invoice live) keeps the deal from a new order, which could repeat its rest."""
    assert links.set_aside is not None
    try:
        order = await context.fortnox.get_order(int(links.set_aside.fortnox_id))
    except FortnoxNotFound:
        return links, None
    if order.Cancelled:
        return links, None
    if not invoice_made_of(order):
        return await deal_links.take_back(links), None
    if sent_as is not FortnoxType.ORDER:
        return links, None
    deal = links.set_aside.upsales_id
    if parse_order_reference(order.ExternalInvoiceReference1) == deal:
        backorders = await open_backorders(context.fortnox, deal)
        rest = rest_to_take(backorders, deal)
    else:  # made in Fortnox (imported): its backorders carry no reference of the deal
        others = partial(_taken_by_another, services, context, deal)
        backorders = await backorders_split_off(context.fortnox, order, others)
        rest = rest_to_take(backorders, None)
    if rest is None:
        await refuse_beside_invoiced_rest(context, backorders)
    return links, rest


async def _taken_by_another(
    services: Services, context: InstallationContext, deal: int, backorder: FortnoxOrder
) -> bool:
    """Whether another deal is linked to ``backorder``, as committed now."""
    async with services.session_factory() as session:
        links = LinkStore(session, context.installation_id)
        taken = await links.by_fortnox(FortnoxType.ORDER, str(backorder.DocumentNumber))
    return taken is not None and taken.upsales_id != deal


async def refuse_beside_invoiced_rest(
    context: InstallationContext, backorders: list[FortnoxOrder]
) -> None:
    """A deal whose rest was invoiced from its backorder, and that invoice lives (one read of
    each), gets no new order: it would repeat that rest. People resolve it (credit the invoice
    in Fortnox, or send the rest of the deal there by hand)."""
    for backorder in backorders:
        invoice = backorder.InvoiceReference
        if not invoice_made_of(backorder) or invoice is None:
            continue
        if await invoice_lives(
            context.fortnox, invoice, credit_invoices=context.settings.credit_invoices
        ):
            raise DocumentLocked(
                f"the rest of the deal's order is in Fortnox invoice {invoice.strip()}, made of "
                f"backorder {backorder.DocumentNumber}: a new order would repeat it"
            )
