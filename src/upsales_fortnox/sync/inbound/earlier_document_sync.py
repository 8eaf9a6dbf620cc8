"""The documents a won deal had before it was won again, in the document sync (the shell of
:mod:`upsales_fortnox.domain.inbound.earlier_document_rules`).

An earlier document's own events (a credit of it cancelled, say) mark it live or ended, and give
it the deal back when the deal's document has ended (:func:`sync_earlier_document`). The
cancellation of a deal's document looks among its earlier documents marked live for one that
lives in Fortnox (:func:`earlier_taking_deal`): the deal then stays won, and that one takes its
link back (:func:`give_deal_back`, in one transaction with the ended one's mark). Cost: no
Fortnox call for a deal that has none marked live; else one read of each (one more of the
credit invoice one names) until one lives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.inbound.decide_document import Action, DocumentPlan, document_commands
from upsales_fortnox.domain.inbound.document_changes import (
    FortnoxDocument,
    document_fingerprint,
    is_cancelled,
)
from upsales_fortnox.domain.inbound.earlier_document_rules import (
    live_earlier,
    plan_earlier_document,
)
from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint, marks_cancelled
from upsales_fortnox.domain.sync_commands import Command, SaveLink
from upsales_fortnox.integrations.fortnox.days import fortnox_today
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.links.repository.document_intents import forget_cancelled_intents
from upsales_fortnox.links.repository.earlier_deal_documents import (
    earlier_document,
    earlier_documents_of,
    mark_earlier,
    take_deal_back,
)
from upsales_fortnox.links.repository.links import LinkStore, save_link
from upsales_fortnox.sync.inbound.document_reads import fetch_document, order_state
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.credits import credit_leaves_live
from upsales_fortnox.sync.money.invoice_money import credit_of, sync_invoice_money
from upsales_fortnox.sync.results.inbound import PaymentStatusWritten
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


@dataclass(frozen=True)
class EarlierOutcome:
    """What the sync of an earlier document did: its plan's reason, and its deal's money."""

    outcome: str
    reason: str
    upsales_order: int
    payment: PaymentStatusWritten | None


@dataclass(frozen=True)
class TakingDocument:
    """A deal's earlier document found living as its document ended, read."""

    link: LinkView
    document: FortnoxDocument
    credit: Invoice | None


async def earlier_of(job: InboundJob, kind: FortnoxType, number: str) -> LinkView | None:
    """The document as an earlier document of a deal, if it is one (no Fortnox call)."""
    async with job.session_factory() as session:
        connection = await session.connection()
        return await earlier_document(connection, job.installation_id, kind, number)


async def sync_earlier_document(
    job: InboundJob,
    document: FortnoxDocument,
    earlier: LinkView,
    *,
    ended: bool,
    credit: Invoice | None,
) -> EarlierOutcome:
    """Bring the deal in line with its earlier document (read: ``ended`` or not). The deal is
    read in Upsales only when the document lives."""
    order_id = earlier.upsales_id
    async with job.session_factory() as session:
        current = await LinkStore(session, job.installation_id).by_upsales(
            LinkEntity.ORDER, order_id, earlier.fortnox_type
        )
    order = None if ended else await order_state(job, order_id)
    settings = job.context.settings
    plan = plan_earlier_document(
        earlier, ended=ended, current=current, order=order, settings=settings
    )
    if plan.mark is not None:
        async with job.session_factory() as session:
            await mark_earlier(await session.connection(), job.installation_id, plan.mark)
            await session.commit()
    payment = None
    if plan.takes_deal is not None:
        if plan.stage is not None:  # the stage first: a retry after it still finds the deal
            staged = DocumentPlan(Action.UPDATE, plan.reason, order_id, plan.stage)
            await job.apply(
                document_commands(
                    staged,
                    document,
                    settings=settings,
                    fingerprint=document_fingerprint(document),
                    refs=None,
                    offer_probability=0,
                    today=fortnox_today(),
                )
            )
        await give_deal_back(job, plan.takes_deal)
    if isinstance(document, Invoice):  # the deal's money, with this one's as it is now
        payment = await sync_invoice_money(job, document, credit)
    outcome = Action.UPDATE if plan.takes_deal is not None else Action.SKIP
    return EarlierOutcome(outcome.value, plan.reason, order_id, payment)


async def earlier_taking_deal(
    job: InboundJob, order_id: int, *, credit_invoices: bool
) -> TakingDocument | None:
    """The deal's earlier document that lives in Fortnox, of those marked live, as its
    document has just ended; those found ended after all are marked so."""
    async with job.session_factory() as session:
        connection = await session.connection()
        earlier = await earlier_documents_of(connection, job.installation_id, order_id)
    for link in live_earlier(earlier):
        found = await _read_live(job, link, credit_invoices=credit_invoices)
        if found is not None:
            return found
        marked = replace(link, fingerprint=cancelled_fingerprint(link.fingerprint))
        async with job.session_factory() as session:
            await mark_earlier(await session.connection(), job.installation_id, marked)
            await session.commit()
    return None


async def _read_live(
    job: InboundJob, link: LinkView, *, credit_invoices: bool
) -> TakingDocument | None:
    document = await fetch_document(job, link.fortnox_type, link.fortnox_id)
    if document is None or document.Cancelled:
        return None
    credit = None
    if isinstance(document, Invoice) and is_cancelled(document):
        credit = await credit_of(job, document)
        if not credit_leaves_live(document, credit, credit_invoices=credit_invoices):
            return None
    return TakingDocument(link, document, credit)


async def give_deal_back(job: InboundJob, taking: LinkView, ending: Sequence[Command] = ()) -> None:
    """``taking``, an earlier document of its deal, takes the deal's link of its type back (in
    one transaction); the deal's document it replaces, ended, is kept as an earlier one.
    ``ending``: the links marking that document's end (:class:`SaveLink` alone), saved in the
    same transaction, so a retry finds the hand-back done with them, or neither."""
    async with job.session_factory() as session:
        connection = await session.connection()
        for mark in ending:
            if not isinstance(mark, SaveLink):
                raise TypeError(f"{type(mark).__name__} is no link to save with the hand-back")
            await save_link(
                connection,
                job.installation_id,
                mark.entity,
                mark.upsales_id,
                mark.fortnox_type,
                mark.fortnox_id,
                mark.fingerprint,
                synced_fields=mark.synced_fields,
            )
            if marks_cancelled(mark):  # as a link's save does: the deal's intent goes
                ids = [mark.upsales_id]
                await forget_cancelled_intents(connection, job.installation_id, ids, utcnow())
        current = await LinkStore(session, job.installation_id).by_upsales(
            LinkEntity.ORDER, taking.upsales_id, taking.fortnox_type
        )
        leaving = current if current is not None and current.document_cancelled else None
        await take_deal_back(connection, job.installation_id, taking, leaving)
        await session.commit()
