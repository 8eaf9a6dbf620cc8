"""Fortnox invoice payments (``/3/invoicepayments``; spec schema ``fortnox_InvoicePayment``).

What a payment event and the payment status need: which invoice the payment pays, how much and
what it wrote off (``WriteOffs``, on the single payment; the list says only ``WriteOffExist``).
Payments are read, never written. ``Number`` is a string in the spec; ``InvoiceNumber`` an
integer (the one required field).
"""

from __future__ import annotations

from typing import ClassVar

from upsales_fortnox.integrations.fortnox.models import Amount as Money
from upsales_fortnox.integrations.fortnox.models import Entity, FortnoxDate, FortnoxModel


class WriteOff(FortnoxModel):
    """One row of a payment's ``WriteOffs`` (spec schema ``fortnox_InvoicePayment_WriteOff``)."""

    Amount: Money = None
    Currency: str | None = None
    AccountNumber: int | None = None


class InvoicePayment(Entity):
    WIRE_NAME: ClassVar[str] = "InvoicePayment"
    WIRE_COLLECTION: ClassVar[str] = "InvoicePayments"

    Number: str | None = None
    InvoiceNumber: int | None = None
    Amount: Money = None
    AmountCurrency: Money = None
    """The amount in the payment's ``Currency`` (see
    :data:`~upsales_fortnox.integrations.fortnox.money_facts.PAYMENT_AMOUNT_IN_PAYMENT_CURRENCY`);
    on the single payment only, not in the list."""
    PaymentDate: FortnoxDate = None
    Booked: bool | None = None
    Currency: str | None = None
    CurrencyRate: Money = None
    CurrencyUnit: Money = None
    WriteOffExist: bool | None = None
    WriteOffs: list[WriteOff] | None = None
