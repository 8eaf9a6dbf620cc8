"""Fortnox invoice payments (``/3/invoicepayments``; spec schema ``fortnox_InvoicePayment``).

Only what a payment event needs: which invoice the payment pays. Payments are read, never
written. ``Number`` is a string in the spec; ``InvoiceNumber`` an integer (the one required
field).
"""

from __future__ import annotations

from typing import ClassVar

from upsales_fortnox.integrations.fortnox.models import Amount as Money
from upsales_fortnox.integrations.fortnox.models import Entity, FortnoxDate


class InvoicePayment(Entity):
    WIRE_NAME: ClassVar[str] = "InvoicePayment"
    WIRE_COLLECTION: ClassVar[str] = "InvoicePayments"

    Number: str | None = None
    InvoiceNumber: int | None = None
    Amount: Money = None
    PaymentDate: FortnoxDate = None
    Booked: bool | None = None
    Currency: str | None = None
    CurrencyRate: Money = None
    CurrencyUnit: Money = None
