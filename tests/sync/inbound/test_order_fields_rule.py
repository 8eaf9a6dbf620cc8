"""The refresh of the linked orders' fields (pure): which settings changes queue it, what its
job is for, which document an order's link opens, and when an invoice's payments are read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from upsales_fortnox.domain.order_fields import refresh_entity, refresh_settings, shown_document
from upsales_fortnox.domain.payment_status import payments_to_read
from upsales_fortnox.domain.sync_settings import (
    SyncSettings,
    order_fields_on,
    order_fields_turned_on,
)
from upsales_fortnox.vocabulary import FortnoxType, SyncType

OFF = SyncSettings()
PAYMENTS = SyncSettings(payment_status=True)
LINKS = SyncSettings(document_links=True)
BOTH = SyncSettings(payment_status=True, document_links=True)


@pytest.mark.parametrize(
    ("before", "after", "turned_on"),
    [
        (OFF, PAYMENTS, ("paymentStatus",)),
        (OFF, LINKS, ("documentLinks",)),
        (OFF, BOTH, ("documentLinks", "paymentStatus")),
        (PAYMENTS, BOTH, ("documentLinks",)),  # payment status on already: not again
        (PAYMENTS, PAYMENTS, ()),
        (BOTH, OFF, ()),  # turned off: nothing to write
        (LINKS, PAYMENTS, ("paymentStatus",)),
        (OFF, SyncSettings(credit_invoices=True, stock_levels=True), ()),
    ],
)
def test_which_settings_changes_refresh_the_linked_orders(
    before: SyncSettings, after: SyncSettings, turned_on: tuple[str, ...]
) -> None:
    assert order_fields_turned_on(before, after) == turned_on


def test_a_refresh_job_names_its_settings_and_reads_them_back() -> None:
    assert refresh_entity(("paymentStatus", "documentLinks")) == "documentLinks+paymentStatus"
    assert refresh_settings("documentLinks+paymentStatus") == {"documentLinks", "paymentStatus"}
    assert refresh_settings("paymentStatus") == {"paymentStatus"}
    assert refresh_settings("stockLevels+paymentStatus") == {"paymentStatus"}
    assert refresh_settings(None) == frozenset()


def test_the_job_does_what_is_still_on() -> None:
    assert order_fields_on(BOTH) == {"documentLinks", "paymentStatus"}
    assert order_fields_on(LINKS) == {"documentLinks"}
    assert order_fields_on(OFF) == frozenset()


ALL = {FortnoxType.OFFER: "7", FortnoxType.ORDER: "12", FortnoxType.INVOICE: "31"}


@pytest.mark.parametrize(
    ("documents", "sync_type", "shown"),
    [
        (ALL, SyncType.INVOICE, (FortnoxType.INVOICE, "31")),
        (ALL, SyncType.ORDER, (FortnoxType.ORDER, "12")),  # the order its deal is sent as
        (ALL, SyncType.ORDER_OFFER, (FortnoxType.ORDER, "12")),
        ({FortnoxType.OFFER: "7"}, SyncType.ORDER_OFFER, (FortnoxType.OFFER, "7")),
        ({FortnoxType.INVOICE: "31"}, SyncType.ORDER, (FortnoxType.INVOICE, "31")),
        (
            {FortnoxType.ORDER: "12", FortnoxType.OFFER: "7"},
            SyncType.INVOICE,
            (FortnoxType.ORDER, "12"),
        ),
        ({}, SyncType.INVOICE, None),
    ],
)
def test_the_link_opens_the_document_the_deal_is_sent_as(
    documents: dict[FortnoxType, str],
    sync_type: SyncType,
    shown: tuple[FortnoxType, str] | None,
) -> None:
    assert shown_document(documents, sync_type) == shown


@pytest.mark.parametrize(
    ("total", "balance", "read"),
    [
        ("2500.00", "2500.00", False),  # nothing booked against it
        ("2500", "2500.00", False),  # the same figure however written
        ("2500.00", "1999.50", True),  # paid in part (or credited, where that lowers it)
        ("2500.00", "0", True),  # paid, or settled otherwise
        ("2500.00", "-100.00", True),  # overpaid
        (None, "2500.00", True),
        ("2500.00", None, True),
    ],
)
def test_payments_are_read_only_when_something_was_booked(
    total: str | None, balance: str | None, read: bool
) -> None:
    assert payments_to_read(_decimal(total), _decimal(balance)) is read


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
