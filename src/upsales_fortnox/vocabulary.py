"""The service's vocabulary: the enums its tables, API and sync share, in one place.

Pure: imports nothing of the application, so the pure decision core can use them.
"""

from __future__ import annotations

from enum import StrEnum


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
