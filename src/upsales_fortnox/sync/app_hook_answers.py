"""Answers to the two informational app hooks the real Fortnox app registers:
``limit_pricelists`` and ``show_field_sync`` (reference upsales.md §7).

No source documents what Upsales reads from either reply
(:data:`upsales_fortnox.integrations.upsales.facts.INFO_HOOK_ANSWER_SHAPES`); the shapes live here
and nowhere else. Both are 200 with a JSON object:

``limit_pricelists`` → which Upsales price lists apply. The sync writes the prices of the ONE
chosen Fortnox price list (setting ``priceList``) into the products' ``listPrice``, which is
Upsales' default (master) price list; no other Upsales list gets synced prices::

    {"limit": true, "priceListIds": [1],
     "priceLists": [{"id": 1, "name": "Standard", "code": "standard", "isDefault": true}],
     "fortnoxPriceList": "A"}

``limit`` is false, with no ids, when there is nothing to limit to (the account has no active
default price list) or the price lists could not be read: an unanswerable question never
narrows what the user may pick. This answer reads ``/priceLists`` once, tried once and within
:data:`HOOK_ANSWER_SECONDS` (Upsales waits for it; a failed read is not retried).

``show_field_sync`` → the fields the app keeps in sync, per Upsales entity, derived from the
sync's own mappings (so they cannot drift from what it writes); custom fields by alias::

    {"fields": {"account": {"direction": "both", "fields": [...], "customFields": [...]},
                "order": {"direction": "both", "fields": [...], "rowFields": [...],
                          "customFields": ["FORTNOX_DOCUMENT"]},
                "product": {"direction": "fromFortnox", "fields": [...]}}}

It reads nothing: the answer is the same for every installation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from functools import cache
from typing import Any, Final

from upsales_fortnox.domain.inbound.companies import new_company
from upsales_fortnox.domain.inbound.document_changes import OrderReferences, new_order
from upsales_fortnox.domain.inbound.products import product_fields
from upsales_fortnox.domain.outbound.company import ACCOUNT_ALIASES, AccountFieldIds
from upsales_fortnox.domain.references import DOCUMENT_FIELD_ALIAS
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.installations.api_clients import upsales_client_for
from upsales_fortnox.intake.hook_answers import ResponderRegistry, ResponderReply
from upsales_fortnox.intake.installations import WebhookInstallation
from upsales_fortnox.integrations.errors import SyncError
from upsales_fortnox.integrations.fortnox.models import Article, Customer, Invoice
from upsales_fortnox.integrations.upsales import facts as upsales_facts
from upsales_fortnox.integrations.upsales import request_rules
from upsales_fortnox.integrations.upsales.models import PriceList
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import load_installation

logger = logging.getLogger(__name__)

LIMIT_PRICELISTS: Final = "limit_pricelists"
SHOW_FIELD_SYNC: Final = "show_field_sync"


def register_info_responders(registry: ResponderRegistry, services: Services) -> None:
    """Register both responders with the webhook intake's responder registry."""

    async def limit_pricelists(
        installation: WebhookInstallation, body: dict[str, Any]
    ) -> ResponderReply:
        return ResponderReply(await answer_limit_pricelists(services, installation))

    async def show_field_sync(
        installation: WebhookInstallation, body: dict[str, Any]
    ) -> ResponderReply:
        return ResponderReply(field_sync_answer())

    # answered, not refused, while the database is away (reference upsales.md §7): the price
    # lists, not read, limit nothing; the fields kept in sync are every installation's
    registry.register(
        LIMIT_PRICELISTS,
        limit_pricelists,
        without_database=lambda: ResponderReply(price_list_answer([], None)),
    )
    registry.register(
        SHOW_FIELD_SYNC,
        show_field_sync,
        without_database=lambda: ResponderReply(field_sync_answer()),
    )


# --- limit_pricelists -------------------------------------------------------------------------


def price_list_answer(lists: list[PriceList], fortnox_price_list: str | None) -> dict[str, Any]:
    """The reply for the account's Upsales price lists (pure)."""
    applying = [item for item in lists if item.isDefault is True and item.active is not False]
    return {
        "limit": bool(applying),
        "priceListIds": [item.id for item in applying],
        "priceLists": [
            {"id": item.id, "name": item.name, "code": item.code, "isDefault": True}
            for item in applying
        ],
        "fortnoxPriceList": fortnox_price_list,
    }


HOOK_ANSWER_SECONDS: Final = upsales_facts.SYNCHRONOUS_HOOK_ANSWER_SECONDS
"""How long the answer may wait on the Upsales API (see the fact)."""


async def answer_limit_pricelists(
    services: Services, installation: WebhookInstallation
) -> dict[str, Any]:
    """Reads ``/priceLists`` once, within :data:`HOOK_ANSWER_SECONDS` (waiting for the key's
    rate limit included); failing that, the answer limits nothing."""
    loaded = await load_installation(services, installation.id)
    fortnox_price_list = SyncSettings.of(loaded.settings).price_list
    try:
        async with asyncio.timeout(HOOK_ANSWER_SECONDS):
            client = upsales_client_for(services, loaded, retry=request_rules.ONE_TRY)
            lists = await client.list_price_lists()
    except SyncError as exc:
        logger.warning("limit_pricelists: Upsales price lists not read: %s", exc.code)
        lists = []
    except TimeoutError:
        logger.warning("limit_pricelists: Upsales price lists not read in %ss", HOOK_ANSWER_SECONDS)
        lists = []
    return price_list_answer(lists, fortnox_price_list)


# --- show_field_sync --------------------------------------------------------------------------


@cache
def field_sync_answer() -> dict[str, Any]:
    """The reply to ``show_field_sync``, read off what the sync's mappings write."""
    return {
        "fields": {
            "account": {
                "direction": "both",
                "fields": _account_fields(),
                "customFields": list(ACCOUNT_ALIASES),
            },
            "order": {
                "direction": "both",
                **_order_fields(),
                "customFields": [DOCUMENT_FIELD_ALIAS],
            },
            "product": {"direction": "fromFortnox", "fields": _product_fields()},
        }
    }


def _account_fields() -> list[str]:
    """The account fields written for a customer that has every mapped field."""
    customer = Customer.model_validate(
        {
            "CustomerNumber": "1",
            "Name": "n",
            "OrganisationNumber": "556000-0000",
            "Phone1": "1",
            "WWW": "w",
            "Address1": "a",
            "ZipCode": "1",
            "City": "c",
            "CountryCode": "SE",
            "DeliveryAddress1": "a",
            "VATNumber": "SE556000000001",
        }
    )
    draft = new_company(customer, AccountFieldIds(customer_number=1, vat_number=2))
    return sorted(set(draft.model_dump(exclude_unset=True)) - {"custom"})


def _product_fields() -> list[str]:
    return sorted(product_fields(Article.model_validate({"ArticleNumber": "1"}), None))


def _order_fields() -> dict[str, list[str]]:
    """The order (and row) fields written for an invoice with one article row."""
    invoice = Invoice.model_validate(
        {
            "DocumentNumber": "1",
            "CustomerNumber": "1",
            "InvoiceDate": "2026-01-02",
            "Currency": "EUR",
            "InvoiceRows": [{"ArticleNumber": "A", "DeliveredQuantity": "1", "Price": "1"}],
        }
    )
    refs = OrderReferences(company_id=1, user_id=1, product_ids={"A": 1}, document_field_id=1)
    draft = new_order(invoice, refs, stage_id=1, probability=100, today=dt.date(2026, 1, 2))
    body = draft.model_dump(exclude_unset=True)
    rows = body.get("orderRow") or [{}]
    return {
        "fields": sorted(set(body) - {"custom"}),
        "rowFields": sorted(rows[0]),
    }
