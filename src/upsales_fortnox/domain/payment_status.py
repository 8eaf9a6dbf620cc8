"""An invoice's payment status (pure): what the Upsales order shows of the money.

Inputs are what Fortnox says of the invoice (total, balance, cancelled, due date, final pay
date), the totals of the credit invoices made of it, and its payments with what each wrote off.
All amounts are in the invoice's currency and include VAT, as ``Total``, ``Balance`` and payments
do; nothing is rounded.

Rules, first match wins:

* ``cancelled``: the invoice is cancelled ("makulerad");
* ``credited``: credit invoices cover its whole total (a full credit);
* ``paid``: payments, their write-offs (and a partial credit) leave no balance;
* ``overdue``: a balance is left and the due date has passed;
* ``partly_paid``: a balance is left and something was paid;
* ``open``: otherwise (a partial credit alone leaves the invoice open, with a smaller balance).

The balance is ``total - credited - paid - written off`` (negative when more was paid than is
owed), and nothing once Fortnox has closed the invoice (``Balance`` 0 and a ``FinalPayDate``),
however it was settled. A credit lowers it to nothing at most, never below what the payments
alone leave: money already paid that a credit gives back is the credit invoice's to pay (its
own balance), not left on this one. So the balance is the same whether or not Fortnox lowers the
credited invoice's ``Balance`` by its credit
(:data:`~upsales_fortnox.integrations.fortnox.money_facts.CREDIT_LOWERS_CREDITED_BALANCE`): a paid
invoice credited afterwards shows nothing left either way, and no credit is counted twice.
The paid amount is what the payments brought in, write-offs left out; the paid date is the
date of the last payment that brought money in or wrote some off and still stands. A reversal
or a negative correction is no payment, and takes back a payment: the one of its amount
registered last before it (by Fortnox's payment numbers; by date where a number is missing),
else the ones registered last, as much as it takes back. So an invoice paid in
full on the 5th whose payment of the 5th is reversed on the 9th is partly paid, dated by the
payment before; one whose overpayment is paid back keeps the date of the payment that paid it.
There is none when the payments cancel out (nothing paid and nothing written off, net), as an
invoice whose payments are not read shows (:func:`payments_to_read`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

ZERO: Final = Decimal(0)


class PaymentStatus(StrEnum):
    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class InvoiceMoney:
    """What the status needs of a Fortnox invoice."""

    total: Decimal
    balance: Decimal | None = None
    """Fortnox's ``Balance``: what is left to pay."""
    cancelled: bool = False
    due_date: dt.date | None = None
    final_pay_date: dt.date | None = None
    credited: Decimal = ZERO
    """The sum of its credit invoices' totals, as a positive amount."""
    credit_stands: bool = False
    """A credit invoice of it stands (not cancelled): of an invoice of nothing (a 0 kr pilot
    or sample), a credit of nothing is a full credit."""


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    date: dt.date | None
    written_off: Decimal = ZERO
    """The sum of its ``WriteOffs``: settled, not paid."""
    number: int | None = None
    """Fortnox's number of the payment, where it is one: the order payments were registered in."""


@dataclass(frozen=True)
class PaymentState:
    status: PaymentStatus
    paid_amount: Decimal
    balance: Decimal
    paid_date: dt.date | None


def payment_state(
    invoice: InvoiceMoney, payments: Iterable[Payment], *, today: dt.date
) -> PaymentState:
    """The invoice's status, paid amount, balance and date of its last payment."""
    listed = list(payments)
    paid = sum((payment.amount for payment in listed), ZERO)
    written_off = sum((payment.written_off for payment in listed), ZERO)
    paid_date = _paid_date(invoice, listed) if paid + written_off > ZERO else None
    credited = abs(invoice.credited)
    settled = paid + written_off
    balance = invoice.total - credited - settled
    if credited and balance < ZERO:  # what the credit gives back is its own to pay, not ours
        balance = max(balance, min(ZERO, invoice.total - settled))
    if invoice.cancelled:  # void: nothing is owed on it (what was paid on it is owed back)
        balance = -settled
    if invoice.final_pay_date is not None and invoice.balance == ZERO:
        balance = ZERO
    return PaymentState(_status(invoice, credited, paid, balance, today), paid, balance, paid_date)


def _paid_date(invoice: InvoiceMoney, payments: list[Payment]) -> dt.date | None:
    """The date of the last payment (or write-off) that brought money in and was not taken
    back (see the module's note); Fortnox's ``FinalPayDate`` when none of those is dated."""
    standing = sorted(
        (_Standing(payment.date, _settles(payment), payment.number) for payment in payments),
        key=_Standing.key,
    )
    kept = [item for item in standing if item.left > ZERO]
    takebacks = [item for item in standing if item.left < ZERO]
    partial = []
    for takeback in takebacks:  # first each takeback of a whole payment made before it
        owed = -takeback.left
        whole = next((item for item in _before(kept, takeback) if item.left == owed), None)
        if whole is None:
            partial.append(takeback)
        else:
            kept = [item for item in kept if item is not whole]
    for takeback in partial:  # then the rest: from those made last before it, then after it
        owed = -takeback.left
        for item in [*_before(kept, takeback), *_after(kept, takeback)]:
            taken = min(item.left, owed)
            item.left -= taken
            owed -= taken
            if owed <= ZERO:
                break
        kept = [item for item in kept if item.left > ZERO]
    dates = [item.date for item in kept if item.date is not None]
    return max(dates) if dates else invoice.final_pay_date


@dataclass
class _Standing:
    """A payment's settled amount on its date, less what takebacks took of it."""

    date: dt.date | None
    left: Decimal
    number: int | None

    def key(self) -> tuple[bool, dt.date, int, Decimal]:
        number = self.number if self.number is not None else -1
        return (self.date is not None, self.date or dt.date.min, number, self.left)


def _settles(payment: Payment) -> Decimal:
    return payment.amount + payment.written_off


def _rank(item: _Standing, takeback: _Standing) -> int:
    """Where ``item`` was registered against ``takeback``: 0 before it by Fortnox's payment
    numbers (where both have one), else 1 on an earlier day, 2 on its own day or undated (a
    payment registered on the day of a reversal is as likely its correction as the payment it
    reverses), 3 after it."""
    if item.number is not None and takeback.number is not None:
        return 0 if item.number < takeback.number else 3
    if item.date is None or takeback.date is None or item.date == takeback.date:
        return 2
    return 1 if item.date < takeback.date else 3


def _before(kept: list[_Standing], takeback: _Standing) -> list[_Standing]:
    """The payments registered before ``takeback``, the last registered first."""
    numbered = sorted(
        (item for item in kept if _rank(item, takeback) == 0),
        key=lambda item: item.number or 0,
        reverse=True,
    )
    dated = [item for r in (1, 2) for item in reversed(kept) if _rank(item, takeback) == r]
    return numbered + dated


def _after(kept: list[_Standing], takeback: _Standing) -> list[_Standing]:
    """The payments registered after ``takeback``, the first first."""
    return [item for item in kept if _rank(item, takeback) == 3]


def _status(
    invoice: InvoiceMoney, credited: Decimal, paid: Decimal, balance: Decimal, today: dt.date
) -> PaymentStatus:
    if invoice.cancelled:
        return PaymentStatus.CANCELLED
    if is_full_credit(invoice.total, credited, stands=invoice.credit_stands):
        return PaymentStatus.CREDITED
    if balance <= ZERO:
        return PaymentStatus.PAID
    if invoice.due_date is not None and invoice.due_date < today:
        return PaymentStatus.OVERDUE
    if paid > ZERO:
        return PaymentStatus.PARTLY_PAID
    return PaymentStatus.OPEN


def is_full_credit(total: Decimal, credited: Decimal, *, stands: bool = False) -> bool:
    """Whether credit invoices of ``credited`` (their totals' sum) cancel an invoice of
    ``total``; ``stands``: a credit invoice of it stands, so that one of nothing cancels an
    invoice of nothing."""
    return (abs(credited) > ZERO or stands) and abs(credited) >= total


def payments_to_read(total: Decimal | None, balance: Decimal | None) -> bool:
    """Whether an invoice's payments must be read for its status: something was booked against
    it (its ``Balance`` is not its ``Total``: a booked payment or write-off lowers it), or
    Fortnox gave no figure. With nothing booked they would add nothing: unbooked payments count
    for nothing. (Payments that cancel each other out to the öre leave the balance as it was and
    are not read: the invoice then shows nothing paid and no paid date.)"""
    return total is None or balance is None or balance != total


ENDED: Final = frozenset({PaymentStatus.CANCELLED, PaymentStatus.CREDITED})


def deal_state(parts: Sequence[PaymentState], *, to_invoice: Decimal = ZERO) -> PaymentState:
    """The money of a deal Fortnox invoiced in parts (an order invoiced in part, the rest of it
    invoiced in turn), from each invoice's state, its first invoice's first: what the parts
    that live (neither cancelled nor credited in full) paid and leave, summed, dated by the
    last payment of any; ``overdue`` when one is, ``paid`` when all are, ``partly_paid`` when
    something was paid, else ``open``. A deal none of whose invoices lives shows its first.

    ``to_invoice``: what the deal's open backorders hold, not invoiced yet (their totals, VAT
    included, in the deal's currency). It is left to pay, so a deal with a rest to invoice is
    never ``paid``: ``partly_paid`` once something was paid (or an invoice settled), else
    ``open``, unless an invoice is ``overdue``. With only that rest living it is ``open``. No
    status of its own ("partly invoiced"): these say truly what was paid and what is late, which
    such a status would hide, and the balance shows the rest."""
    rest = max(to_invoice, ZERO)
    live = [part for part in parts if part.status not in ENDED]
    if len(live) <= 1 and not rest:
        return live[0] if live else parts[0]
    paid = sum((part.paid_amount for part in live), ZERO)
    balance = sum((part.balance for part in live), ZERO) + rest
    dates = [part.paid_date for part in live if part.paid_date is not None]
    statuses = {part.status for part in live}
    if PaymentStatus.OVERDUE in statuses:
        status = PaymentStatus.OVERDUE
    elif statuses == {PaymentStatus.PAID} and not rest:
        status = PaymentStatus.PAID
    elif paid > ZERO or statuses & {PaymentStatus.PAID, PaymentStatus.PARTLY_PAID}:
        status = PaymentStatus.PARTLY_PAID
    else:
        status = PaymentStatus.OPEN
    return PaymentState(status, paid, balance, max(dates) if dates else None)
