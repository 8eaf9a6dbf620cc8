"""Each job kind's typed result: a stored result of today's shape reads back as its type, and
the type writes it again byte for byte (same keys, same order, same values)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from upsales_fortnox.domain.initial_phases import Phase
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.jobs.results import MergedInto
from upsales_fortnox.sync.results.by_kind import READERS, InitialSyncRead, read_result
from upsales_fortnox.sync.results.inbound import (
    ArticleSyncResult,
    CurrencyPricesWritten,
    CustomerSyncResult,
    DocumentSyncResult,
    ExtrasRefreshResult,
    PaymentStatusWritten,
    PaymentSyncResult,
    RepriceResult,
    StockWritten,
)
from upsales_fortnox.sync.results.order_refresh import OrderFieldsRefreshResult
from upsales_fortnox.sync.results.outbound import (
    CompanySyncResult,
    DealCustomer,
    WonDealResult,
)
from upsales_fortnox.sync.results.periodic import CatchUpResult, ReconcileResult, TopicCatchUp
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, JobKind

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
EARLIER = datetime(2024, 5, 1, 9, 58, tzinfo=UTC)
INVOICE_12 = FortnoxRef(FortnoxType.INVOICE, "12")
CUSTOMER = DealCustomer(3, "K-1", "linked")

#: (job kind, a result as the handlers have always stored it, the typed result it reads as).
STORED: list[tuple[JobKind, dict[str, Any], object]] = [
    (
        JobKind.UPSALES_ORDER,
        {"upsales_order": 7, "outcome": "skipped", "reason": "the order is not won"},
        WonDealResult(7, "skipped", "the order is not won"),
    ),
    (
        JobKind.UPSALES_ORDER,
        {"upsales_order": 7, "fortnox_invoice": "12", "outcome": "skipped", "reason": "lost"},
        WonDealResult(7, "skipped", "lost", document=INVOICE_12, linked_before=True),
    ),
    (
        JobKind.UPSALES_ORDER,
        {
            "upsales_order": 7,
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "customer": "created",
            "customer_number_written_back": False,
            "note": "no account custom field with alias FORTNOX_CUSTOMER_NUMBER",
            "net": "1000.00",
            "products_linked": [4, 5],
            "outcome": "created",
            "fortnox_invoice": "12",
            "document_url": "written",
        },
        WonDealResult(
            7,
            "created",
            document=INVOICE_12,
            customer=DealCustomer(
                3,
                "K-1",
                "created",
                written_back=False,
                note="no account custom field with alias FORTNOX_CUSTOMER_NUMBER",
            ),
            net="1000.00",
            products_linked=(4, 5),
            document_url="written",
        ),
    ),
    (
        JobKind.UPSALES_ORDER,
        {
            "upsales_order": 7,
            "fortnox_order": "55",
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "customer": "linked",
            "net": "10.00",
            "outcome": "found_and_linked",
            "document_url": "unchanged",
        },
        WonDealResult(
            7,
            "found_and_linked",
            document=FortnoxRef(FortnoxType.ORDER, "55"),
            linked_before=True,
            customer=CUSTOMER,
            net="10.00",
            document_url="unchanged",
        ),
    ),
    (
        JobKind.UPSALES_ORDER,
        {
            "upsales_order": 7,
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "customer": "linked",
            "net": "10.00",
            "outcome": "no_change",
            "reason": "Fortnox invoice 12 was made in Fortnox",
        },
        WonDealResult(
            7,
            "no_change",
            "Fortnox invoice 12 was made in Fortnox",
            customer=CUSTOMER,
            net="10.00",
        ),
    ),
    (
        JobKind.UPSALES_COMPANY,
        {"upsales_company": 3, "outcome": "skipped", "reason": "no customer"},
        CompanySyncResult(3, "skipped", reason="no customer"),
    ),
    (
        JobKind.UPSALES_COMPANY,
        {
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "outcome": "no_change",
            "reason": "nothing synced changed",
            "api_key_write": True,
        },
        CompanySyncResult(
            3, "no_change", "K-1", reason="nothing synced changed", api_key_write=True
        ),
    ),
    (
        JobKind.UPSALES_COMPANY,
        {
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "outcome": "updated",
            "updated_fields": ["name"],
            "conflicts_kept_from_fortnox": ["phone"],
            "changed_in_fortnox": ["city", "phone"],
        },
        CompanySyncResult(
            3,
            "updated",
            "K-1",
            updated_fields=("name",),
            conflicts_kept_from_fortnox=("phone",),
            changed_in_fortnox=("city", "phone"),
        ),
    ),
    (
        JobKind.UPSALES_COMPANY,
        {
            "upsales_company": 3,
            "fortnox_customer": "K-1",
            "outcome": "no_change",
            "updated_fields": [],
        },
        CompanySyncResult(3, "no_change", "K-1", updated_fields=()),
    ),
    (
        JobKind.FORTNOX_CUSTOMER,
        {"fortnox_customer": "K-1", "upsales_company": 3, "outcome": "created"},
        CustomerSyncResult("K-1", "created", 3),
    ),
    (
        JobKind.FORTNOX_CUSTOMER,
        {"fortnox_customer": "9", "upsales_company": None, "outcome": "not_found"},
        CustomerSyncResult("9", "not_found", None),
    ),
    (
        JobKind.FORTNOX_ARTICLE,
        {"fortnox_article": "A-1", "upsales_product": None, "outcome": "not_found"},
        ArticleSyncResult("A-1", "not_found", None, priced=True),
    ),
    (
        JobKind.FORTNOX_ARTICLE,
        {
            "fortnox_article": "A-1",
            "upsales_product": 4,
            "outcome": "linked",
            "stock": {"source": "article", "written": "written"},
            "currencies": {"prices": {"EUR": "10.5", "NOK": "99"}, "written": "unchanged"},
            "price": "no price in the chosen price list; list price 0",
        },
        ArticleSyncResult(
            "A-1",
            "linked",
            4,
            priced=False,
            stock=StockWritten("article", "written"),
            currencies=CurrencyPricesWritten({"EUR": "10.5", "NOK": "99"}, "unchanged"),
        ),
    ),
    (
        JobKind.FORTNOX_INVOICE,
        {"fortnox_invoice": "12", "outcome": "skip", "reason": "not_found"},
        DocumentSyncResult.skipped(INVOICE_12, "not_found"),
    ),
    (
        JobKind.FORTNOX_OFFER,
        {"fortnox_offer": "4", "upsales_order": None, "outcome": "skip", "reason": "no_module"},
        DocumentSyncResult(FortnoxRef(FortnoxType.OFFER, "4"), "skip", "no_module"),
    ),
    (
        JobKind.FORTNOX_ORDER,
        {"fortnox_order": "3", "upsales_order": 7, "outcome": "update", "reason": "won"},
        DocumentSyncResult(FortnoxRef(FortnoxType.ORDER, "3"), "update", "won", upsales_order=7),
    ),
    (
        JobKind.FORTNOX_INVOICE,
        {
            "fortnox_invoice": "12",
            "upsales_order": 7,
            "outcome": "created",
            "reason": "won",
            "payment_status": "skip",
            "payment_reason": "invoice_not_linked",
        },
        DocumentSyncResult(
            INVOICE_12,
            "created",
            "won",
            upsales_order=7,
            payment=PaymentStatusWritten("skip", reason="invoice_not_linked"),
        ),
    ),
    (
        JobKind.FORTNOX_INVOICE,
        {
            "fortnox_invoice": "13",
            "outcome": "skip",
            "reason": "credit_of_unlinked_invoice",
            "credits": "12",
        },
        DocumentSyncResult(
            FortnoxRef(FortnoxType.INVOICE, "13"),
            "skip",
            "credit_of_unlinked_invoice",
            synced=False,
            credits="12",
        ),
    ),
    (
        JobKind.FORTNOX_INVOICE,
        {
            "fortnox_invoice": "12",
            "upsales_order": 7,
            "outcome": "update",
            "reason": "won",
            "payment_status": "paid",
            "payment_written": False,
            "credit_invoice": "13",
        },
        DocumentSyncResult(
            INVOICE_12,
            "update",
            "won",
            upsales_order=7,
            payment=PaymentStatusWritten("paid", written=False),
            credit_invoice="13",
        ),
    ),
    (
        JobKind.FORTNOX_INVOICE_PAYMENT,
        {"fortnox_invoicepayment": "5", "outcome": "skip", "reason": "payment_not_found"},
        PaymentSyncResult("5", reason="payment_not_found"),
    ),
    (
        JobKind.FORTNOX_INVOICE_PAYMENT,
        {
            "fortnox_invoicepayment": "5",
            "fortnox_invoice": "12",
            "upsales_order": 7,
            "outcome": "update",
            "reason": "won",
            "payment_status": "paid",
            "payment_written": True,
        },
        PaymentSyncResult(
            "5",
            DocumentSyncResult(
                INVOICE_12,
                "update",
                "won",
                upsales_order=7,
                payment=PaymentStatusWritten("paid", written=True),
            ),
        ),
    ),
    (
        JobKind.FORTNOX_INVOICE_PAYMENT_DELETED,
        {
            "fortnox_invoicepayment": "5",
            "fortnox_invoice": "12",
            "outcome": "skip",
            "reason": "not_found",
        },
        PaymentSyncResult("5", DocumentSyncResult.skipped(INVOICE_12, "not_found")),
    ),
    (
        JobKind.REPRICE_PRODUCTS,
        {"price_list": None, "outcome": "skip", "reason": "no price list chosen"},
        RepriceResult(None),
    ),
    (
        JobKind.REPRICE_PRODUCTS,
        {
            "price_list": "A",
            "products_checked": 3,
            "products_repriced": 1,
            "products_without_price": 0,
        },
        RepriceResult("A", checked=3, repriced=1, without_price=0),
    ),
    (
        JobKind.REPRICE_PRODUCTS,
        {
            "price_list": None,
            "default_price_list": True,
            "products_checked": 2,
            "products_repriced": 2,
            "products_without_price": 0,
        },
        RepriceResult(None, checked=2, repriced=2, default_list=True),
    ),
    (
        JobKind.REPRICE_PRODUCTS,
        {
            "price_list": "A",
            "products_checked": 50,
            "products_repriced": 4,
            "products_without_price": 1,
            "rest_queued": True,
        },
        RepriceResult("A", checked=50, repriced=4, without_price=1, rest_queued=True),
    ),
    (
        JobKind.REFRESH_PRODUCT_EXTRAS,
        {"outcome": "skip", "reason": "stock levels and currency prices are off"},
        ExtrasRefreshResult(),
    ),
    (
        JobKind.REFRESH_PRODUCT_EXTRAS,
        {
            "products_checked": 3,
            "products_missing": 1,
            "writes": {
                "stock": {"written": 1, "unchanged": 1},
                "currency_prices": {"written": 1, "failed": 1},
            },
        },
        ExtrasRefreshResult(
            3,
            1,
            {
                "stock": {"written": 1, "unchanged": 1},
                "currency_prices": {"written": 1, "failed": 1},
            },
        ),
    ),
    (
        JobKind.REFRESH_ORDER_FIELDS,
        {"outcome": "skip", "reason": "paymentStatus and documentLinks are off"},
        OrderFieldsRefreshResult(),
    ),
    (
        JobKind.REFRESH_ORDER_FIELDS,
        {
            "settings": ["documentLinks", "paymentStatus"],
            "orders_checked": 5,
            "written": 2,
            "unchanged": 1,
            "orders_missing": 1,
            "failed": 1,
            "invoices_missing": 0,
            "payment_status": {"paid": 2, "open": 1},
            "payment_scope_missing": True,
        },
        OrderFieldsRefreshResult(
            ("documentLinks", "paymentStatus"),
            checked=5,
            written=2,
            unchanged=1,
            orders_missing=1,
            failed=1,
            statuses={"paid": 2, "open": 1},
            payment_scope_missing=True,
        ),
    ),
    (
        JobKind.FORTNOX_RECONCILE,
        {
            "changed": {"customers": 1, "articles": 0, "invoices": 2},
            "deleted": {"customers": 0},
            "until": NOW.isoformat(),
        },
        ReconcileResult({"customers": 1, "articles": 0, "invoices": 2}, {"customers": 0}, NOW),
    ),
    (
        JobKind.UPSALES_CATCH_UP,
        {
            "until": NOW.isoformat(),
            "orders": {"since": EARLIER.isoformat(), "listed": 2, "queued": 1, "synced": 1},
            "accounts": {"since": EARLIER.isoformat(), "listed": 0, "queued": 0, "synced": 0},
        },
        CatchUpResult(
            NOW,
            TopicCatchUp(EARLIER, {"synced": 1, "queued": 1, "listed": 2}),
            TopicCatchUp(EARLIER, {"listed": 0, "queued": 0, "synced": 0}),
        ),
    ),
]


def _progress() -> SyncProgress:
    progress = SyncProgress((Phase.CUSTOMERS, Phase.ARTICLES, Phase.INVOICES))
    progress.phase(Phase.CUSTOMERS).count("created", 3)
    progress.report_ambiguous({"fortnox": "K-9", "candidates": [1, 2]})
    progress.next_phase()
    return progress


@pytest.mark.parametrize(("kind", "stored", "typed"), STORED)
def test_a_stored_result_reads_as_its_kind_and_writes_back_byte_for_byte(
    kind: JobKind, stored: dict[str, Any], typed: object
) -> None:
    read = read_result(kind, stored)
    assert read == typed
    assert json.dumps(read.to_json()) == json.dumps(stored)


@pytest.mark.parametrize(("kind", "stored", "typed"), STORED)
def test_the_ids_a_result_names_are_its_id_keys(
    kind: JobKind, stored: dict[str, Any], typed: object
) -> None:
    read = read_result(kind, stored)
    assert read is not None
    id_keys = {
        key: value
        for key, value in stored.items()
        if key.startswith(("upsales_", "fortnox_")) and isinstance(value, int | str)
    }
    assert read.named_ids() == id_keys
    assert read.outcome == stored.get("outcome")


def test_every_job_kind_has_a_result_type() -> None:
    assert set(READERS) == set(JobKind)


def test_the_initial_sync_result_is_its_last_checkpoint() -> None:
    progress = _progress()
    stored = json.loads(json.dumps(progress.to_json()))
    read = read_result(JobKind.INITIAL_SYNC, stored)
    assert isinstance(read, InitialSyncRead)
    assert read.progress.phase(Phase.CUSTOMERS).counts["created"] == 3
    assert read.to_json() == stored and read.outcome is None and read.named_ids() == {}


def test_a_merged_job_reads_the_same_for_every_kind() -> None:
    for kind in (*JobKind, "test.job"):
        assert read_result(kind, {"merged_into": 9}) == MergedInto(9)


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        (JobKind.UPSALES_ORDER, {"upsales_order": 7, "outcome": "created", "extra": 1}),
        (JobKind.UPSALES_ORDER, {"upsales_order": "7", "outcome": "created"}),
        (JobKind.UPSALES_ORDER, {"upsales_order": 7, "outcome": "exploded"}),
        (JobKind.FORTNOX_INVOICE, {"fortnox_invoice": 12, "outcome": "skip", "reason": "x"}),
        (JobKind.FORTNOX_CUSTOMER, {"fortnox_customer": "1", "upsales_company": True}),
        (JobKind.FORTNOX_RECONCILE, {"changed": {}, "deleted": {}, "until": "soon"}),
        (JobKind.INITIAL_SYNC, {"version": 1, "phases": ["nowhere"]}),
        ("test.job", {"outcome": "done", "upsales_order": 7}),
    ],
)
def test_a_result_no_type_reproduces_is_plain_json(kind: str, stored: dict[str, Any]) -> None:
    assert read_result(kind, stored) is None
