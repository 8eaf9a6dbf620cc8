"""Reconciliation's part for payment status (setting ``paymentStatus``): invoice change events
for what no event brought in, fed through the same intake and dedupe as the rest of
:mod:`upsales_fortnox.sync.reconcile`.

* Payments: ``GET /3/invoicepayments?lastmodified=`` (one call a page) since the checkpoint; each
  payment names its invoice (``InvoiceNumber``), and each payment of a linked invoice (or of a
  deal's earlier invoice that lives again, :mod:`.earlier_money`) gets the
  bookkeeping event its own event would have been (``invoicepayment-bookkeep-v1``, the payment's
  number), whether or not a payment touches its invoice's own ``lastmodified``
  (:data:`upsales_fortnox.integrations.fortnox.money_facts.PAYMENTS_TOUCH_INVOICE_LASTMODIFIED`).
  Its job reads the payment and syncs the invoice, and keeps which invoice it paid: the payment's
  later deletion finds it there (:mod:`.deleted_payment`), as it does for a payment the stream
  brought. One payment read more than an invoice event would cost, per payment.
  A login from before the ``payment`` scope was asked for may not list payments (403 "no access
  to scope"): the payments are then left out and their checkpoint stays, so a login that grants
  the scope lists them from there; the rest of the run (overdue invoices, the sweep) goes on.
* Overdue, daily: ``GET /3/invoices?filter=unpaidoverdue`` (one call a page) at the first
  run of each Swedish day (Fortnox's, :mod:`upsales_fortnox.integrations.fortnox.days`: the
  day an invoice falls due by), and again at the first run an hour into it if the first came
  earlier (:data:`~upsales_fortnox.integrations.fortnox.money_facts.OVERDUE_LIST_SETTLES`: clocks
  apart, or Fortnox's filter turning late), so an invoice due yesterday shows overdue that
  morning, not up to a day later as a run 24 hours after the last would (whose hour would
  drift later every day); each linked invoice in it gets an
  ``invoice-changed`` event (offset ``overdue:<Swedish date>``: once a day), so an invoice whose
  due date passed without any change shows ``overdue``. So does one carrying
  a deal's reference that the deal does not link (the rest of a deal invoiced in parts,
  :mod:`.deal_parts`): the deal shows its money with its linked invoice's.

Both are read whole with ``iter_gapless`` (payments by ``paymentdate``, invoices by number), so
a payment deleted, or an invoice paid (out of the filter), between two page reads hides no other
(:mod:`upsales_fortnox.integrations.fortnox.gapless`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from upsales_fortnox.domain.references import is_outbound_reference
from upsales_fortnox.intake.fortnox_events import PAYMENT_BOOKKEPT
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.days import day_start, fortnox_day
from upsales_fortnox.integrations.fortnox.errors import CODE_NO_ACCESS_TO_SCOPE, FortnoxAuthError
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.fortnox.money_facts import OVERDUE_LIST_SETTLES
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.repository.reconcile_checkpoints import window_marker

log = logging.getLogger(__name__)

PAYMENTS_CHECKPOINT: Final = "invoicepayments"
OVERDUE_CHECKPOINT: Final = "invoices:overdue"


@dataclass(frozen=True)
class InvoiceBatch:
    """Numbers to feed as events of the ``invoices`` topic under one offset marker: invoices
    (``invoice-changed``), or payments (``event_type`` :data:`PAYMENT_BOOKKEPT`); and the
    checkpoint that moves once they are recorded."""

    numbers: list[str]
    marker: str
    checkpoint: str
    event_type: str | None = None
    """None: ``invoice-changed``."""
    window: datetime | None = None
    """The checkpoint ``marker`` names (None: the marker names a day)."""


async def money_batches(
    fortnox: FortnoxPort,
    linked_invoices: set[str],
    checkpoints: dict[str, datetime],
    *,
    now: datetime,
    first_since: datetime,
    overlap: timedelta,
) -> list[InvoiceBatch]:
    """What to feed for payments changed since the last run and, daily, overdue invoices."""
    since = checkpoints.get(PAYMENTS_CHECKPOINT, first_since)
    batches: list[InvoiceBatch] = []
    try:
        paid = {
            payment.Number
            async for payment in fortnox.iter_gapless(InvoicePayment, last_modified=since - overlap)
            if payment.Number and str(payment.InvoiceNumber) in linked_invoices
        }
    except FortnoxAuthError as exc:
        if exc.fortnox_code != CODE_NO_ACCESS_TO_SCOPE:
            raise
        log.warning("payments not reconciled: the login lacks the payment scope")
    else:
        batches.append(
            InvoiceBatch(
                sorted(paid, key=_number_order),
                f"invoicepayments:{window_marker(since)}",
                PAYMENTS_CHECKPOINT,
                PAYMENT_BOOKKEPT,
                since,
            )
        )
    if overdue_read_due(checkpoints.get(OVERDUE_CHECKPOINT), now):
        overdue = {
            str(invoice.DocumentNumber)
            async for invoice in _overdue(fortnox)
            if invoice.DocumentNumber is not None
            and (
                str(invoice.DocumentNumber) in linked_invoices
                or is_outbound_reference(invoice.ExternalInvoiceReference1)
            )
        }
        batches.append(
            InvoiceBatch(
                sorted(overdue, key=int),
                f"overdue:{fortnox_day(now).isoformat()}",
                OVERDUE_CHECKPOINT,
            )
        )
    return batches


def overdue_read_due(checked: datetime | None, now: datetime) -> bool:
    """Whether a run at ``now`` reads the overdue list, last read at ``checked`` (None: never):
    at the first run of each Swedish day, and at the first run
    :data:`~upsales_fortnox.integrations.fortnox.money_facts.OVERDUE_LIST_SETTLES` into the day when
    the day's first read came earlier."""
    if checked is None:
        return True
    today = fortnox_day(now)
    if today > fortnox_day(checked):
        return True
    settled = day_start(today) + OVERDUE_LIST_SETTLES
    return checked < settled <= now


def _number_order(number: str) -> tuple[int, str]:
    """Payment numbers (strings in the spec) in numeric order where they are numbers."""
    value = parse_digits(number)
    return (0, number) if value is None else (value, "")


def _overdue(fortnox: FortnoxPort) -> AsyncIterator[Invoice]:
    return fortnox.iter_gapless(Invoice, filter="unpaidoverdue")
