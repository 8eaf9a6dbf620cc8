"""Answers inside Upsales: ``before_order_save`` and ``app_status_order``.

Both answer at once from the database alone (links, settings, cached custom field ids, jobs):
no call to Fortnox or Upsales, so Upsales' save dialog never waits on another service.

``before_order_save`` refuses (400, the text the user reads in ``error`` and ``message``: see
:data:`~upsales_fortnox.integrations.upsales.facts.HOOK_REFUSAL_TEXT_FIELDS`) an order about to
be saved as won (100 %) that the sync could not send: a product without a Fortnox article link
(not the catch-all product of Fortnox rows without an article, known by its name: it is sent as
a row without one; and none until an initial sync has linked the products, when an unlinked
product's article is not known yet), a company Fortnox would refuse, or a document over
Fortnox's limits. Orders below 100 % pass, and so does an opportunity from a Fortnox offer (its
order is the one Fortnox makes of the offer), and a deal whose document was made in Fortnox
(imported; its Upsales changes are not sent back). The order is read from ``data.obj``
(reference upsales.md §4; ``data.object`` is accepted too). Only what the hook body carries
about an unlinked company can be checked (the name, and the organisation number and addresses
when Upsales sends them; the number only with the addresses, whose country it is judged by); the
job checks the full company again.

``app_status_order`` reports the order's sync status (:mod:`.order_status`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.texts import Phrase, joined, language_of_hook, say
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    clean,
    company_fields_from_upsales,
    custom_value,
)
from upsales_fortnox.domain.outbound.deal_documents import deal_documents
from upsales_fortnox.domain.outbound.document_decision import (
    rows_may_stay_unsent,
)
from upsales_fortnox.domain.outbound.order_gate import WON_PROBABILITY
from upsales_fortnox.domain.outbound.rows import (
    WITHOUT_ARTICLE,
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
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.integrations.upsales.models import Company, OrderDraft, bare_id_as_object
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.services import Services
from upsales_fortnox.sync.initial.control import INITIAL_SYNC_ENTITY
from upsales_fortnox.sync.order_hook_bodies import Answer, hook_object, hook_order_id, refusal
from upsales_fortnox.sync.order_status import answer_app_status_order, order_status
from upsales_fortnox.sync.outbound.custom_fields import cached_account_field_ids
from upsales_fortnox.sync.repository.sync_job_reads import latest_job
from upsales_fortnox.vocabulary import (
    FortnoxType,
    InstallationStatus,
    JobKind,
    JobStatus,
    LinkEntity,
)

__all__ = [
    "answer_app_status_order",
    "answer_before_order_save",
    "order_status",
    "register_order_responders",
]

BEFORE_ORDER_SAVE: Final = "before_order_save"
APP_STATUS_ORDER: Final = "app_status_order"
SHOWN_PROBLEMS: Final = 10
"""Problems a refusal names; more are counted ("och 12 till"), so it stays readable."""
_COMPANY_DETAIL_KEYS: Final = frozenset({"orgNo", "addresses", "phone", "custom"})


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


_ACCEPTED = Answer({"status": "ok"})


# --- before_order_save ----------------------------------------------------------------------


@dataclass
class _Known:
    settings: SyncSettings
    article_numbers: dict[int, str]
    company_linked: bool
    field_ids: AccountFieldIds = field(default_factory=AccountFieldIds)
    products_linked: bool = True
    """Whether the product links may be judged by: only once an initial sync linked the
    products to their articles (not before the Fortnox login, nor before the operator ran it,
    nor while it runs, nor after it died): until then the job finds an unlinked product's
    article by its number."""


async def _products_linked(session: DbSession, installation_id: uuid.UUID) -> bool:
    installation = await find_installation(session, installation_id)
    if installation is None or installation.status == InstallationStatus.PENDING_LOGIN:
        return False
    newest = await latest_job(session, installation_id, JobKind.INITIAL_SYNC, INITIAL_SYNC_ENTITY)
    return newest is not None and newest.status == JobStatus.DONE


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
    products_linked = await _products_linked(session, installation_id)
    return _Known(settings, articles, company_linked, field_ids, products_linked)


def _product_problems(order: OrderDraft, known: _Known) -> list[str]:
    names = {
        product_id: row.product.name
        for row in order.orderRow or []
        if (product_id := row_product_id(row)) is not None and row.product and row.product.name
    }
    problems: list[str] = []
    article_numbers = dict(known.article_numbers)
    for product_id in required_product_ids(order.orderRow or [], known.settings.product_bundles):
        if product_id not in article_numbers and not known.products_linked:
            article_numbers[product_id] = WITHOUT_ARTICLE  # not judged: its rows still count
        elif product_id not in article_numbers:
            if product_id in names:
                problems.append(
                    Phrase("order.named_product_without_article", name=names[product_id])
                )
            else:
                problems.append(Phrase("order.product_without_article", product_id=product_id))
    if problems:
        return problems
    try:
        rows = plan_rows(order.orderRow or [], known.settings.product_bundles, article_numbers)
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
        if "addresses" not in client:  # its country, which the number is judged by, unknown
            fields.pop("organisation_number", None)
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
    order_data = hook_object(body)
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
        return refusal(say("order.refused", language, problems=say("order.no_company", language)))
    async with services.session_factory() as session:
        order_id = hook_order_id(body)
        if order_id is not None and await _rows_may_stay_unsent(session, installation_id, order_id):
            return _ACCEPTED  # its document is Fortnox's: Upsales changes are not sent to it
        known = await _known(session, installation_id, order)
    problems = _product_problems(order, known) + _company_problems(order_data, known)
    if problems:
        shown = joined(_named_first(problems), language)
        return refusal(say("order.refused", language, problems=shown))
    return _ACCEPTED


def _named_first(problems: list[str]) -> list[str]:
    """The first :data:`SHOWN_PROBLEMS` problems, the rest counted."""
    if len(problems) <= SHOWN_PROBLEMS:
        return problems
    rest = Phrase("order.more_problems", count=len(problems) - SHOWN_PROBLEMS)
    return [*problems[:SHOWN_PROBLEMS], rest]
