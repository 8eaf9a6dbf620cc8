"""Answers inside Upsales: ``before_order_save`` and ``app_status_order``.

Both answer at once from the database alone (links, settings, cached custom field ids, jobs):
no call to Fortnox or Upsales, so Upsales' save dialog never waits on another service.

``before_order_save`` refuses (400, the text the user reads in ``error`` and ``message``: see
:data:`~upsales_fortnox.integrations.upsales.facts.HOOK_REFUSAL_TEXT_FIELDS`) an order about
to be saved as won (100 %) that the sync could not send: a product without a Fortnox article
link (not the catch-all product of Fortnox rows without an article, known by its name: it is
sent as a row without one), a company Fortnox would refuse, or a document over Fortnox's
limits. Orders below 100 % pass, and so does an opportunity from a Fortnox offer (its order is
the one Fortnox makes of the offer), and a deal whose document was made in Fortnox (imported;
its Upsales changes are not sent back). The order is read from ``data.obj`` (reference
upsales.md §4; ``data.object`` is accepted too). Only what the hook body carries about an
unlinked company can be checked (the name, and the organisation number and addresses when
Upsales sends them); the job checks the full company again.

``app_status_order`` reports the order's sync status: ``sent`` (as Fortnox invoice/order N),
``waiting`` (a job is queued or running; while the installation awaits a Fortnox login or is
paused, the message says so), ``failed`` (the last job died; its error, e.g. a
``fortnox_document_locked`` conflict), ``cancelled`` (its document was cancelled or credited
in Fortnox: the deal moves to lost unless another part of it lives in Fortnox; also when that
came after the last job died), or ``not_sent`` (with ``reason``, when the last job said why, as
a stable code: ``order_not_won``, ``order_without_company``, ``order_deleted``; the job's own
words are for operators). The order id is read from the first of
:data:`upsales_fortnox.integrations.upsales.facts.HOOK_ORDER_ID_PATHS` that holds one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.texts import (
    DEFAULT_LANGUAGE,
    Language,
    Phrase,
    joined,
    language_of_hook,
    say,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    clean,
    company_fields_from_upsales,
    custom_value,
)
from upsales_fortnox.domain.outbound.deal_documents import DealDocuments, deal_documents
from upsales_fortnox.domain.outbound.decide import CustomerInactive, rows_may_stay_unsent
from upsales_fortnox.domain.outbound.order_gate import (
    ORDER_DELETED,
    ORDER_WITHOUT_COMPANY,
    WON_PROBABILITY,
    skip_code,
)
from upsales_fortnox.domain.outbound.rows import (
    UnsendableOrder,
    plan_rows,
    required_product_ids,
    row_product_id,
    with_catch_all_named,
)
from upsales_fortnox.domain.outbound.validation import company_problems
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.intake.hook_answers import ResponderRegistry, ResponderReply
from upsales_fortnox.intake.installations import WebhookInstallation
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.integrations.upsales import facts as upsales_facts
from upsales_fortnox.integrations.upsales.models import Company, OrderDraft, bare_id_as_object
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.services import Services
from upsales_fortnox.sync.outbound.custom_fields import cached_account_field_ids
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

BEFORE_ORDER_SAVE: Final = "before_order_save"
APP_STATUS_ORDER: Final = "app_status_order"
SHOWN_PROBLEMS: Final = 10
"""Problems a refusal names; more are counted ("och 12 till"), so it stays readable."""
_COMPANY_DETAIL_KEYS: Final = frozenset({"orgNo", "addresses", "phone", "custom"})


Answer = ResponderReply
"""An HTTP answer to a synchronous app hook (200 = yes; 400 + its text = refusal)."""


def register_order_responders(registry: ResponderRegistry, services: Services) -> None:
    """Register both responders with the webhook intake's responder registry."""

    async def before_order_save(
        installation: WebhookInstallation, body: dict[str, Any]
    ) -> ResponderReply:
        return await answer_before_order_save(services, installation.id, body)

    async def app_status_order(
        installation: WebhookInstallation, body: dict[str, Any]
    ) -> ResponderReply:
        return await answer_app_status_order(services, installation.id, body)

    registry.register(BEFORE_ORDER_SAVE, before_order_save)
    registry.register(APP_STATUS_ORDER, app_status_order)


def _hook_object(body: Mapping[str, Any]) -> dict[str, Any] | None:
    data = body.get("data")
    if isinstance(data, dict):
        for key in ("obj", "object"):
            if isinstance(data.get(key), dict):
                return dict(data[key])
    return None


def _refusal(message: str, code: str = "order_not_sendable") -> Answer:
    """A 400 with the text the user reads where Upsales may read it (see the fact)."""
    texts = dict.fromkeys(upsales_facts.HOOK_REFUSAL_TEXT_FIELDS, message)
    return Answer({**texts, "code": code}, 400)


_ACCEPTED = Answer({"status": "ok"})


# --- before_order_save ----------------------------------------------------------------------


@dataclass
class _Known:
    settings: SyncSettings
    article_numbers: dict[int, str]
    company_linked: bool
    field_ids: AccountFieldIds = field(default_factory=AccountFieldIds)


async def _known(session: DbSession, installation_id: uuid.UUID, order: OrderDraft) -> _Known:
    settings = SyncSettings.of((await load_settings(session, installation_id)).row)
    links = LinkStore(session, installation_id)
    product_ids = required_product_ids(order.orderRow or [], settings.product_bundles)
    linked = await links.fortnox_ids_by_upsales(
        LinkEntity.PRODUCT, FortnoxType.ARTICLE, product_ids
    )
    articles = with_catch_all_named(order.orderRow or [], linked)
    company_linked = False
    if order.client is not None:
        company_link = await links.by_upsales(
            LinkEntity.COMPANY, order.client.id, FortnoxType.CUSTOMER
        )
        company_linked = company_link is not None
    field_ids = await cached_account_field_ids(session, installation_id)
    return _Known(settings, articles, company_linked, field_ids)


def _product_problems(order: OrderDraft, known: _Known) -> list[str]:
    names = {
        product_id: row.product.name
        for row in order.orderRow or []
        if (product_id := row_product_id(row)) is not None and row.product and row.product.name
    }
    problems: list[str] = []
    for product_id in required_product_ids(order.orderRow or [], known.settings.product_bundles):
        if product_id not in known.article_numbers:
            if product_id in names:
                problems.append(
                    Phrase("order.named_product_without_article", name=names[product_id])
                )
            else:
                problems.append(Phrase("order.product_without_article", product_id=product_id))
    if problems:
        return problems
    try:
        rows = plan_rows(
            order.orderRow or [], known.settings.product_bundles, known.article_numbers
        )
    except UnsendableOrder as exc:
        return [exc.message]  # a catalogue phrase, rendered in the hook's language
    if len(rows) > MAX_DOCUMENT_ROWS:
        return [Phrase("order.too_many_rows", rows=len(rows), limit=MAX_DOCUMENT_ROWS)]
    return []


def _company_problems(order_data: Mapping[str, Any], known: _Known) -> list[str]:
    client = bare_id_as_object(order_data.get("client"))  # a bare id reads as {"id": n}
    if not isinstance(client, dict) or known.company_linked:
        return []
    if known.field_ids.customer_number is not None:
        shown = clean(custom_value(_company(client).custom, known.field_ids.customer_number))
        if shown:
            return []  # the company already shows a Fortnox customer number
    if _COMPANY_DETAIL_KEYS & client.keys():
        fields = company_fields_from_upsales(_company(client), known.field_ids)
    elif "name" in client:
        fields = {"name": clean(client.get("name"))}
    else:
        return []  # the reference alone says nothing of the company; the job reads it whole
    return company_problems(fields)


def _company(client: Mapping[str, Any]) -> Company:
    try:
        return Company.model_validate({**client, "id": client.get("id") or 0})
    except ValidationError:
        return Company(id=0, name=clean(client.get("name")))


async def _rows_may_stay_unsent(
    session: DbSession, installation_id: uuid.UUID, order_id: int
) -> bool:
    """Whether the deal's rows may never be sent (:func:`rows_may_stay_unsent`): its document
    is the order Fortnox makes of its offer, or one made in Fortnox (an imported invoice or
    order), whatever its Upsales rows hold."""
    links = await LinkStore(session, installation_id).all_of_upsales(LinkEntity.ORDER, order_id)
    live = deal_documents(links).live
    return bool(live) and rows_may_stay_unsent(live[0])


async def answer_before_order_save(
    services: Services, installation_id: uuid.UUID, body: Mapping[str, Any]
) -> Answer:
    order_data = _hook_object(body)
    if order_data is None:
        return _ACCEPTED  # nothing to judge: never block a save on a body we do not know
    try:
        order = OrderDraft.model_validate(order_data)
    except ValidationError:
        return _ACCEPTED
    if order.probability != WON_PROBABILITY:
        return _ACCEPTED
    language = language_of_hook(body)
    if order.client is None:
        return _refusal(say("order.refused", language, problems=say("order.no_company", language)))
    async with services.session_factory() as session:
        order_id = _order_id(body)
        if order_id is not None and await _rows_may_stay_unsent(session, installation_id, order_id):
            return _ACCEPTED  # its document is Fortnox's: Upsales changes are not sent to it
        known = await _known(session, installation_id, order)
    problems = _product_problems(order, known) + _company_problems(order_data, known)
    if problems:
        shown = joined(_named_first(problems), language)
        return _refusal(say("order.refused", language, problems=shown))
    return _ACCEPTED


def _named_first(problems: list[str]) -> list[str]:
    """The first :data:`SHOWN_PROBLEMS` problems, the rest counted."""
    if len(problems) <= SHOWN_PROBLEMS:
        return problems
    rest = Phrase("order.more_problems", count=len(problems) - SHOWN_PROBLEMS)
    return [*problems[:SHOWN_PROBLEMS], rest]


# --- app_status_order -----------------------------------------------------------------------


def _order_id(body: Mapping[str, Any]) -> int | None:
    candidates: list[Any] = []
    hook_object = _hook_object(body)
    if hook_object is not None:
        candidates.append(hook_object.get("id"))
    data = body.get("data")
    if isinstance(data, dict):
        candidates.extend(data.get(key) for key in ("obj", "object"))  # a bare id
        candidates.append(data.get("id"))
    candidates.append(body.get("id"))
    for candidate in candidates:
        if isinstance(candidate, int) and not isinstance(candidate, bool) and candidate > 0:
            return candidate
        number = parse_digits(candidate) if isinstance(candidate, str) else None
        if number:
            return number
    return None


#: The end-user text of a dead order job, by the code its error starts with.
_FAILED_TEXTS: Final = {
    "product_not_in_fortnox": "status.failed.missing_article",
    "company_not_accepted_by_fortnox": "status.failed.company",
    "fortnox_customer_of_another_company": "status.failed.company_taken",
    CustomerInactive.code: "status.failed.customer_inactive",
    DocumentLocked.code: "status.failed.locked",
    "fortnox_reauthorization_required": "status.failed.login",
    OfferCancelled.code: "status.failed.offer_cancelled",
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
    invoices = [link for link in documents.live if link.fortnox_type is FortnoxType.INVOICE]
    locked_order = current is not None and current.fortnox_type is FortnoxType.ORDER
    if code == DocumentLocked.code and locked_order and invoices:  # the bookkeeper invoiced it
        return say("status.failed.order_invoiced", language, number=invoices[0].fortnox_id)
    return say(_FAILED_TEXTS.get(code, "status.failed.other"), language)


def _ended_since(link: LinkView | None, job: SyncJob) -> bool:
    """Whether the deal's document was cancelled in Fortnox (and the deal moved to lost)
    after its job died: that is the deal's state now, not the job's failure."""
    if link is None or not link.document_cancelled or link.saved_at is None:
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
    if link is not None:
        document = say(f"document.{link.fortnox_type.value}", language)
        shown = "sent" if to_update else "cancelled"
        message = say(f"status.{shown}", language, document=document, number=link.fortnox_id)
        return {**status, "status": shown, "message": message}
    reason = skip_code((job.result or {}).get("reason")) if job is not None else None
    text = _NOT_SENT_TEXTS.get(reason or "", "status.not_sent")
    not_sent = {**status, "status": "not_sent", "message": say(text, language)}
    return {**not_sent, "reason": reason} if reason else not_sent


async def answer_app_status_order(
    services: Services, installation_id: uuid.UUID, body: Mapping[str, Any]
) -> Answer:
    order_id = _order_id(body)
    if order_id is None:
        return _refusal(say("status.no_order", language_of_hook(body)), "validation_error")
    async with services.session_factory() as session:
        return Answer(
            await order_status(session, installation_id, order_id, language_of_hook(body))
        )
