"""The Upsales order custom fields the payment status is written to, found or created by alias,
and the values that show a payment state (written by :mod:`upsales_fortnox.sync.order_values`).

Admins show them in Upsales. Values are text: the status as the catalogue words it for a sales
rep (``payment.<status>``, Swedish: ``Delvis betald``), amounts as plain decimals in the
invoice's currency (``1250.50``, exact, never a float) and the date as ``YYYY-MM-DD``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.payment_status import PaymentState
from upsales_fortnox.integrations.upsales.models import CustomValue
from upsales_fortnox.sync.inbound.inbound_job import InboundJob

ORE: Final = Decimal("0.01")

# --- payments and credits: order custom fields (issue 11, parts 1, 2) ---
PAYMENT_STATUS_ALIAS: Final = "FORTNOX_PAYMENT_STATUS"
PAID_AMOUNT_ALIAS: Final = "FORTNOX_PAID_AMOUNT"
BALANCE_ALIAS: Final = "FORTNOX_BALANCE"
PAID_DATE_ALIAS: Final = "FORTNOX_PAID_DATE"

#: Alias → (field name shown in Upsales, Upsales datatype) of the fields created when missing.
PAYMENT_FIELDS: Final[dict[str, tuple[str, str]]] = {
    PAYMENT_STATUS_ALIAS: (say("field.payment_status"), "String"),
    PAID_AMOUNT_ALIAS: (say("field.paid_amount"), "String"),
    BALANCE_ALIAS: (say("field.balance"), "String"),
    PAID_DATE_ALIAS: (say("field.paid_date"), "String"),
}
# --- end payments and credits ---


async def payment_field_ids(job: InboundJob) -> dict[str, int]:
    """Alias → id of the order fields of :data:`PAYMENT_FIELDS`, creating the missing ones
    (one task at a time: orders refreshed at once would each create them)."""
    async with job.fields.creating(job.context, "order"):
        known = await job.fields.ids(job.context, "order")
        ids = {alias: known[alias] for alias in PAYMENT_FIELDS if alias in known}
        for alias, (name, datatype) in PAYMENT_FIELDS.items():
            if alias not in ids:
                created = await job.context.upsales.create_custom_field(
                    "order", name=name, alias=alias, datatype=datatype
                )
                ids[alias] = created.id
                known[alias] = created.id  # the cache sees it at once
    return ids


def payment_values(state: PaymentState, ids: Mapping[str, int]) -> list[CustomValue]:
    """The custom values that show ``state``."""
    values = {
        PAYMENT_STATUS_ALIAS: say(f"payment.{state.status.value}"),
        PAID_AMOUNT_ALIAS: amount_text(state.paid_amount),
        BALANCE_ALIAS: amount_text(state.balance),
        PAID_DATE_ALIAS: state.paid_date.isoformat() if state.paid_date else "",
    }
    return [CustomValue(fieldId=ids[alias], value=value) for alias, value in values.items()]


def amount_text(value: Decimal) -> str:
    """At least two decimals (``1250.50``, ``0.00``), never fewer than the value has (no
    rounding)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(ORE)
    return format(value + 0, "f")
