"""The order's sync status in Upsales (``app_status_order``), as the sales rep reads it.

It answers at once from the database alone (links, jobs): ``sent`` (as Fortnox invoice/order N;
with ``reason`` ``order_not_won`` when the deal was moved back from won since, or
``order_deleted_document_kept`` when it was deleted in Upsales since, its invoice or order left
in Fortnox as it is, the invoice named once the bookkeeper invoiced its order; not for an offer
the deal came from; ``invoice_changed_after_sent`` when its last change reached an invoice sent
to the customer; ``document_made_in_fortnox`` when its document was made in Fortnox, which
Upsales changes do not reach), ``waiting`` (a job is queued or running; while the installation
awaits a Fortnox login or its settings, or is paused, the message says so), ``failed`` (the last
job died; its error, e.g. a ``fortnox_document_locked`` conflict), ``cancelled`` (its document
was cancelled or credited in Fortnox: the deal moves to lost unless another part of it lives in
Fortnox; also when that came after the last job died), or ``not_sent`` (with ``reason``, when
the last job said why, as a stable code: ``order_not_won``, ``order_without_company``,
``order_deleted``; the job's own words are for operators). The order id is read from the first
of :data:`upsales_fortnox.integrations.upsales.facts.HOOK_ORDER_ID_PATHS` that holds one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.texts import DEFAULT_LANGUAGE, Language, language_of_hook, say
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.added_rows import ROWS_BEYOND_LIMIT
from upsales_fortnox.domain.outbound.changed_after_sent import (
    INVOICE_CHANGED_AFTER_SENT,
    marked_changed_after_sent,
)
from upsales_fortnox.domain.outbound.deal_documents import (
    SENT_AS,
    DealDocuments,
    deal_documents,
)
from upsales_fortnox.domain.outbound.decide import CustomerInactive
from upsales_fortnox.domain.outbound.document_body import (
    LOCKED_BOOKED,
    LOCKED_CANCELLED,
    LOCKED_CREDITED,
    invoiced_by,
    lock_of,
)
from upsales_fortnox.domain.outbound.order_gate import (
    DOCUMENT_MADE_IN_FORTNOX,
    ORDER_DELETED,
    ORDER_DELETED_DOCUMENT_KEPT,
    ORDER_NOT_WON,
    ORDER_WITHOUT_COMPANY,
    reason_code,
)
from upsales_fortnox.domain.outbound.rows import UnsendableOrder
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.services import Services
from upsales_fortnox.sync.order_hook_bodies import Answer, hook_order_id, refusal
from upsales_fortnox.sync.outbound.deal_customer import (
    CompanyCustomerMayLand,
    OwnCustomerCreateMayLand,
)
from upsales_fortnox.sync.outbound.earlier_create import EarlierCreateMayLand
from upsales_fortnox.sync.outbound.fortnox_documents import DocumentLocked
from upsales_fortnox.sync.outbound.won_offer import OfferCancelled
from upsales_fortnox.sync.repository.sync_job_reads import latest_job
from upsales_fortnox.vocabulary import (
    FortnoxType,
    InstallationStatus,
    JobKind,
    JobStatus,
    LinkEntity,
)

#: The end-user text of a dead order job, by the code its error starts with.
_FAILED_TEXTS: Final = {
    "product_not_in_fortnox": "status.failed.missing_article",
    "company_not_accepted_by_fortnox": "status.failed.company",
    "fortnox_customer_of_another_company": "status.failed.company_taken",
    CustomerInactive.code: "status.failed.customer_inactive",
    DocumentLocked.code: "status.failed.locked",
    "fortnox_reauthorization_required": "status.failed.login",
    OfferCancelled.code: "status.failed.offer_cancelled",
    UnsendableOrder.code: "status.failed.not_sendable",
    ROWS_BEYOND_LIMIT: "status.failed.rows_beyond_limit",
}


#: The end-user text of a change its document refused, by why it can no longer change.
_LOCKED_TEXTS: Final = {
    LOCKED_BOOKED: "status.failed.locked.booked",
    LOCKED_CREDITED: "status.failed.locked.credited",
    LOCKED_CANCELLED: "status.failed.locked.cancelled",
}


#: The end-user text of a deal whose invoice or order lives in Fortnox, left there as it is,
#: by the code of its last job's ``reason`` (the reply's ``reason``).
_SENT_REASON_TEXTS: Final = {
    ORDER_NOT_WON: "status.sent_not_won",
    ORDER_DELETED_DOCUMENT_KEPT: "status.sent_deleted",
    INVOICE_CHANGED_AFTER_SENT: "status.sent_changed_after_sent",
    DOCUMENT_MADE_IN_FORTNOX: "status.sent_made_in_fortnox",
}


#: What a queued deal waits for while its installation's jobs do not run, by its status.
_HELD_TEXTS: Final[dict[str, str]] = {
    InstallationStatus.PENDING_LOGIN: "status.waiting_for_login",
    InstallationStatus.NEEDS_RELOGIN: "status.waiting_for_login",
    InstallationStatus.PAUSED: "status.waiting_paused",
}

#: The end-user text of a deal not sent, by the code of its job's ``reason`` (the job's words
#: are for operators; the reply's ``reason`` is the code).
_NOT_SENT_TEXTS: Final = {
    ORDER_WITHOUT_COMPANY: "status.not_sent.no_company",
    ORDER_DELETED: "status.not_sent.deleted",
}


def _error_code(last_error: str | None) -> str:
    return (last_error or "").split(":", 1)[0].strip()


def _failed_text(last_error: str | None, language: Language, documents: DealDocuments) -> str:
    code = _error_code(last_error)
    current = documents.current
    of_order = _invoice_of_order(documents)
    if code == DocumentLocked.code and of_order is not None:  # the bookkeeper invoiced it
        return say("status.failed.order_invoiced", language, number=of_order.fortnox_id)
    invoice = invoiced_by(last_error) if code == DocumentLocked.code else None
    if invoice is not None:  # invoiced, that invoice not in Upsales yet
        return say("status.failed.order_invoiced", language, number=invoice)
    lock = _LOCKED_TEXTS.get(lock_of(last_error) or "") if code == DocumentLocked.code else None
    if lock is not None and current is not None:  # which document, and why it is locked
        document = say(f"document.{current.fortnox_type.value}", language)
        return say(lock, language, document=document, number=current.fortnox_id)
    return say(_FAILED_TEXTS.get(code, "status.failed.other"), language)


def _invoice_of_order(documents: DealDocuments) -> LinkView | None:
    """The invoice the bookkeeper made of the deal's current document, an order, if linked."""
    current = documents.current
    if current is None or current.fortnox_type is not FortnoxType.ORDER:
        return None
    invoices = [link for link in documents.live if link.fortnox_type is FortnoxType.INVOICE]
    return invoices[0] if invoices else None


def _ended_since(link: LinkView | None, job: SyncJob) -> bool:
    """Whether the deal's document was cancelled in Fortnox (and the deal moved to lost)
    after its job died: that is the deal's state now, not the job's failure."""
    if link is None or not link.document_ended or link.saved_at is None:
        return False
    return job.finished_at is not None and link.saved_at > job.finished_at


async def order_status(
    session: DbSession,
    installation_id: uuid.UUID,
    order_id: int,
    language: Language = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The sync status of one Upsales order (see the module docstring); its ``message`` is
    for the sales rep, in ``language`` (operators read the job's error through ``job_id``)."""
    links = await LinkStore(session, installation_id).all_of_upsales(LinkEntity.ORDER, order_id)
    documents = deal_documents(links)
    link = documents.current
    to_update = bool(documents.live)  # else a new document is sent (won again)
    job = await latest_job(session, installation_id, JobKind.UPSALES_ORDER, str(order_id))
    fortnox = (
        {"type": link.fortnox_type.value, "number": link.fortnox_id} if link is not None else None
    )
    status: dict[str, Any] = {"order_id": order_id, "fortnox": fortnox}
    if job is not None:
        status["job_id"] = job.id
    if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        waiting = "status.waiting_to_update" if to_update else "status.waiting_to_send"
        installation = await find_installation(session, installation_id)
        held = _HELD_TEXTS.get(installation.status) if installation is not None else None
        if held is not None:  # no job of the installation runs until a person acts
            waiting = held
        elif (await load_settings(session, installation_id)).row is None:
            waiting = "status.waiting_for_settings"  # its jobs wait for them (sync.context)
        elif _error_code(job.last_error) == EarlierCreateMayLand.code:
            waiting = "status.confirming_earlier_send"
        elif _error_code(job.last_error) == CompanyCustomerMayLand.code:
            waiting = "status.confirming_company_customer"
        elif _error_code(job.last_error) == OwnCustomerCreateMayLand.code:
            waiting = "status.confirming_earlier_customer"
        return {**status, "status": "waiting", "message": say(waiting, language)}
    if job is not None and job.status == JobStatus.DEAD and not _ended_since(link, job):
        message = _failed_text(job.last_error, language, documents)
        return {**status, "status": "failed", "message": message}
    reason = reason_code((job.result or {}).get("reason")) if job is not None else None
    if link is not None:
        if reason is None and marked_changed_after_sent(link.synced_fields):
            reason = INVOICE_CHANGED_AFTER_SENT  # a later sync that changed nothing
        shown = "sent" if to_update else "cancelled"
        # its invoice or order left as it is (an offer the deal came from was never won)
        sent_as = link.fortnox_type in SENT_AS
        left = shown == "sent" and sent_as and reason in _SENT_REASON_TEXTS
        text = _SENT_REASON_TEXTS[reason or ""] if left else f"status.{shown}"
        # what is left to cancel is the invoice, once the bookkeeper invoiced the order
        named = (_invoice_of_order(documents) or link) if left else link
        document = say(f"document.{named.fortnox_type.value}", language)
        message = say(text, language, document=document, number=named.fortnox_id)
        answer = {**status, "status": shown, "message": message}
        return {**answer, "reason": reason} if left else answer
    text = _NOT_SENT_TEXTS.get(reason or "", "status.not_sent")
    not_sent = {**status, "status": "not_sent", "message": say(text, language)}
    return {**not_sent, "reason": reason} if reason else not_sent


async def answer_app_status_order(
    services: Services, installation_id: uuid.UUID, body: Mapping[str, Any]
) -> Answer:
    order_id = hook_order_id(body)
    if order_id is None:
        return refusal(say("status.no_order", language_of_hook(body)), "validation_error")
    async with services.session_factory() as session:
        return Answer(
            await order_status(session, installation_id, order_id, language_of_hook(body))
        )
