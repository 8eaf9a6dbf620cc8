"""The write of custom values to an Upsales order: only when a value changed, an empty value
being what a field without one shows (Upsales keeps no empty value); the payment status as a
sales rep reads it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, cast

import pytest

from tests.test_texts import SNAKE_CASE
from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.payment_status import PaymentState, PaymentStatus
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import CustomValue, Order, OrderDraft
from upsales_fortnox.sync.money.fields import PAYMENT_FIELDS, PAYMENT_STATUS_ALIAS, payment_values
from upsales_fortnox.sync.order_values import ORDER_MISSING, UNCHANGED, WRITTEN, write_order_values


class _Orders:
    """The two calls the write makes, on one order held here."""

    def __init__(self, custom: list[dict[str, Any]] | None) -> None:
        self.order = None if custom is None else Order.model_validate({"id": 7, "custom": custom})
        self.written: list[OrderDraft] = []

    async def get_order(self, order_id: int) -> Order:
        if self.order is None:
            raise UpsalesNotFound("gone")
        return self.order

    async def update_order(self, order_id: int, draft: OrderDraft) -> None:
        self.written.append(draft)


def _write(orders: _Orders, wanted: list[CustomValue]) -> str:
    return asyncio.run(write_order_values(cast(UpsalesPort, orders), 7, wanted))


STATUS, PAID_DATE, OTHER = 11, 12, 13


def test_values_the_order_shows_already_are_not_written_again() -> None:
    orders = _Orders([{"fieldId": STATUS, "value": "open"}, {"fieldId": OTHER, "value": "x"}])
    wanted = [CustomValue(fieldId=STATUS, value="open"), CustomValue(fieldId=PAID_DATE, value="")]
    assert _write(orders, wanted) == UNCHANGED  # the empty date: the field without a value
    assert orders.written == []


def test_a_changed_value_is_written_with_the_order_s_other_values() -> None:
    orders = _Orders([{"fieldId": STATUS, "value": "open"}, {"fieldId": OTHER, "value": "x"}])
    wanted = [CustomValue(fieldId=STATUS, value="paid"), CustomValue(fieldId=PAID_DATE, value="")]
    assert _write(orders, wanted) == WRITTEN
    (draft,) = orders.written
    sent = {item.fieldId: item.value for item in draft.custom or []}
    assert sent[STATUS] == "paid" and sent[OTHER] == "x"


def test_an_order_upsales_no_longer_has_is_left_be() -> None:
    assert _write(_Orders(None), [CustomValue(fieldId=STATUS, value="paid")]) == ORDER_MISSING


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (PaymentStatus.OPEN, "Obetald"),
        (PaymentStatus.PARTLY_PAID, "Delvis betald"),
        (PaymentStatus.PAID, "Betald"),
        (PaymentStatus.OVERDUE, "Förfallen"),
        (PaymentStatus.CREDITED, "Krediterad"),
        (PaymentStatus.CANCELLED, "Makulerad"),
    ],
)
def test_the_payment_status_a_sales_rep_reads_is_the_catalogue_s_swedish_text(
    status: PaymentStatus, shown: str
) -> None:
    state = PaymentState(status, Decimal("100.00"), Decimal("0.00"), None)
    ids = {alias: number for number, alias in enumerate(PAYMENT_FIELDS, start=1)}
    values = {item.fieldId: item.value for item in payment_values(state, ids)}
    assert values[ids[PAYMENT_STATUS_ALIAS]] == shown
    assert say(f"payment.{status.value}", "sv") == shown  # the catalogue's, Swedish first
    assert not SNAKE_CASE.search(shown)  # no status code where people read


def test_every_payment_status_has_its_text() -> None:
    for status in PaymentStatus:
        assert say(f"payment.{status.value}", "sv") and say(f"payment.{status.value}", "en")
