"""The service's words: its enums and the kinds of its jobs, in one place.

Pure: imports nothing of the application, so the pure decision core can use them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

MAX_UPSALES_ID: Final = 2**31 - 1
"""The largest Upsales id the tables hold (32-bit integer columns, as on PostgreSQL)."""


class InstallationStatus(StrEnum):
    PENDING_LOGIN = "pending_login"
    ACTIVE = "active"
    PAUSED = "paused"
    NEEDS_RELOGIN = "needs_relogin"


class SyncType(StrEnum):
    """Setting ``syncType``: what syncs from Fortnox to Upsales, where won deals go."""

    INVOICE = "invoice"
    ORDER = "order"
    ORDER_OFFER = "order_offer"


class ProductBundleMode(StrEnum):
    """Setting ``productBundles``: how an Upsales bundle is sent to Fortnox."""

    ONLY_BUNDLE = "onlyBundle"
    ONLY_SUB_PRODUCTS = "onlySubProducts"
    BUNDLE_AND_SUB_PRODUCTS = "bundleAndSubProducts"


class LinkEntity(StrEnum):
    COMPANY = "company"
    PRODUCT = "product"
    ORDER = "order"


class FortnoxType(StrEnum):
    CUSTOMER = "customer"
    ARTICLE = "article"
    ORDER = "order"
    INVOICE = "invoice"
    OFFER = "offer"


class EventSource(StrEnum):
    UPSALES = "upsales"
    FORTNOX = "fortnox"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class AttemptOutcome(StrEnum):
    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"
    LEASE_EXPIRED = "lease_expired"
    RELEASED = "released"
    WAITING = "waiting"
    """The run could not go on yet (:class:`~upsales_fortnox.integrations.errors.RetryLater`)."""


class JobKind(StrEnum):
    """What a sync job does; stored as the job's ``kind``.

    A job that syncs one entity names it in ``entity_id`` (an Upsales id, or a Fortnox number).
    """

    UPSALES_ORDER = "upsales.order"
    """A won deal (or its change) becomes a Fortnox invoice or order."""
    UPSALES_COMPANY = "upsales.company"
    """A changed Upsales company updates its linked Fortnox customer."""
    UPSALES_CATCH_UP = "upsales.reconcile"
    """The Upsales changes no hook brought in, for one installation."""
    FORTNOX_CUSTOMER = "fortnox.customer"
    FORTNOX_ARTICLE = "fortnox.article"
    FORTNOX_ORDER = "fortnox.order"
    FORTNOX_INVOICE = "fortnox.invoice"
    FORTNOX_OFFER = "fortnox.offer"
    FORTNOX_INVOICE_PAYMENT = "fortnox.invoicepayment"
    """``entity_id`` = the payment's number; syncs the invoice it pays."""
    FORTNOX_INVOICE_PAYMENT_DELETED = "fortnox.invoicepayment_deleted"
    """``entity_id`` = the deleted payment's number; re-syncs the invoice it paid."""
    FORTNOX_RECONCILE = "reconcile"
    """The Fortnox changes no event brought in, for one installation."""
    REPRICE_PRODUCTS = "reprice_products"
    """Every linked product's list price again, after the price list setting changed and once
    a day; a batch of products per job, the rest queued as the next job."""
    REFRESH_PRODUCT_EXTRAS = "refresh_product_extras"
    """Every linked product's stock and currency prices, after ``stockLevels`` or
    ``currencyPriceLists`` was turned on (or given another currency)."""
    REFRESH_ORDER_FIELDS = "refresh_order_fields"
    """Every linked order's payment status or document link, after ``paymentStatus`` or
    ``documentLinks`` was turned on; ``entity_id`` names the settings (``paymentStatus``)."""
    INITIAL_SYNC = "initial_sync"
    """The first import of an installation's Fortnox records into Upsales."""


def upsales_id_key(entity: str) -> str:
    """The job result key naming an Upsales record (``upsales_order``); the history of an
    entity searches results by it."""
    return f"upsales_{entity}"


def fortnox_id_key(fortnox_type: str) -> str:
    """The job result key naming a Fortnox record (``fortnox_invoice``); see
    :func:`upsales_id_key`."""
    return f"fortnox_{fortnox_type}"
