"""The payment status function, over every combination of its inputs (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upsales_fortnox.domain.payment_status import (
    InvoiceMoney,
    Payment,
    PaymentState,
    PaymentStatus,
    deal_state,
    is_full_credit,
    payment_state,
)

TODAY = dt.date(2026, 12, 3)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
dates = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31))
written_off = st.one_of(st.just(Decimal(0)), amounts, amounts.map(lambda a: -a))
payments = st.lists(
    st.builds(Payment, amounts, st.one_of(st.none(), dates), written_off), max_size=6
)
invoices = st.builds(
    InvoiceMoney,
    total=amounts,
    balance=st.one_of(st.none(), st.just(Decimal(0)), amounts),
    cancelled=st.booleans(),
    due_date=st.one_of(st.none(), dates),
    final_pay_date=st.one_of(st.none(), dates),
    credited=st.one_of(st.just(Decimal(0)), amounts, amounts.map(lambda a: -a)),
    credit_stands=st.booleans(),
)


@given(invoices, payments)
def test_amounts_are_exact_sums(invoice: InvoiceMoney, paid: list[Payment]) -> None:
    state = payment_state(invoice, paid, today=TODAY)
    assert state.paid_amount == sum((p.amount for p in paid), Decimal(0))
    settled = state.paid_amount + sum((p.written_off for p in paid), Decimal(0))
    left = invoice.total - abs(invoice.credited) - settled
    if invoice.credited and left < 0:  # a credit never leaves less than the payments alone
        left = max(left, min(Decimal(0), invoice.total - settled))
    if invoice.cancelled:  # void: nothing left to pay
        left = -settled
    closed_by_fortnox = invoice.final_pay_date is not None and invoice.balance == 0
    assert state.balance == (Decimal(0) if closed_by_fortnox else left)


@given(invoices, payments)
def test_status_follows_the_rules_in_order(invoice: InvoiceMoney, paid: list[Payment]) -> None:
    state = payment_state(invoice, paid, today=TODAY)
    credited = abs(invoice.credited)
    if invoice.cancelled:
        expected = PaymentStatus.CANCELLED
    elif is_full_credit(invoice.total, credited, stands=invoice.credit_stands):
        expected = PaymentStatus.CREDITED
    elif state.balance <= 0:
        expected = PaymentStatus.PAID
    elif invoice.due_date is not None and invoice.due_date < TODAY:
        expected = PaymentStatus.OVERDUE
    elif state.paid_amount > 0:
        expected = PaymentStatus.PARTLY_PAID
    else:
        expected = PaymentStatus.OPEN
    assert state.status is expected


@given(invoices, payments)
def test_paid_date_is_a_payments_or_none(invoice: InvoiceMoney, paid: list[Payment]) -> None:
    state = payment_state(invoice, paid, today=TODAY)
    settled = sum((p.amount + p.written_off for p in paid), Decimal(0))
    if settled <= 0:
        assert state.paid_date is None
    else:
        bringing_in = {p.date for p in paid if p.amount + p.written_off > 0}
        assert state.paid_date in bringing_in | {invoice.final_pay_date}


@given(invoices, payments)
def test_with_nothing_taken_back_the_paid_date_is_the_last_payment(
    invoice: InvoiceMoney, paid: list[Payment]
) -> None:
    paid = [p for p in paid if p.written_off >= 0]
    state = payment_state(invoice, paid, today=TODAY)
    known = [p.date for p in paid if p.date is not None]
    if not paid:
        assert state.paid_date is None
    elif known:
        assert state.paid_date == max(known)
    else:
        assert state.paid_date == invoice.final_pay_date


@given(invoices, payments, dates)
def test_a_payment_reversed_in_full_leaves_the_date_as_it_was_before_it(
    invoice: InvoiceMoney, paid: list[Payment], day: dt.date
) -> None:
    """A payment and its reversal change nothing shown."""
    before = payment_state(invoice, paid, today=TODAY)
    reversed_ = [*paid, Payment(Decimal("250.00"), day), Payment(Decimal("-250.00"), day)]
    assert payment_state(invoice, reversed_, today=TODAY).paid_date == before.paid_date


@given(invoices, payments, payments)
def test_order_of_payments_does_not_matter(
    invoice: InvoiceMoney, first: list[Payment], second: list[Payment]
) -> None:
    assert payment_state(invoice, first + second, today=TODAY) == payment_state(
        invoice, second + first, today=TODAY
    )


@given(amounts, dates)
def test_a_deleted_payment_reverts_the_state(total: Decimal, due: dt.date) -> None:
    invoice = InvoiceMoney(total=total, due_date=due)
    before = payment_state(invoice, [], today=TODAY)
    payment_state(invoice, [Payment(total, TODAY)], today=TODAY)
    assert payment_state(invoice, [], today=TODAY) == before


def test_examples() -> None:
    invoice = InvoiceMoney(total=Decimal("1250.00"), due_date=dt.date(2026, 12, 31))
    day = dt.date(2026, 12, 1)
    assert payment_state(invoice, [], today=TODAY).status is PaymentStatus.OPEN
    partly = payment_state(invoice, [Payment(Decimal("250.10"), day)], today=TODAY)
    assert (partly.status, partly.balance) == (PaymentStatus.PARTLY_PAID, Decimal("999.90"))
    paid = payment_state(
        invoice, [Payment(Decimal("250.10"), day), Payment(Decimal("999.90"), TODAY)], today=TODAY
    )
    assert (paid.status, paid.paid_date, paid.balance) == (PaymentStatus.PAID, TODAY, Decimal(0))
    late = payment_state(invoice, [], today=dt.date(2027, 1, 1))
    assert late.status is PaymentStatus.OVERDUE
    partial_credit = InvoiceMoney(total=Decimal("1250.00"), credited=Decimal("-250.00"))
    credited = payment_state(partial_credit, [], today=TODAY)
    assert (credited.status, credited.balance) == (PaymentStatus.OPEN, Decimal("1000.00"))
    full = InvoiceMoney(total=Decimal("1250.00"), credited=Decimal("-1250.00"))
    assert payment_state(full, [], today=TODAY).status is PaymentStatus.CREDITED
    nothing = InvoiceMoney(total=Decimal("0.00"))  # a 0 kr pilot: nothing to pay
    assert payment_state(nothing, [], today=TODAY).status is PaymentStatus.PAID
    nothing_credited = InvoiceMoney(total=Decimal("0.00"), credit_stands=True)
    assert payment_state(nothing_credited, [], today=TODAY).status is PaymentStatus.CREDITED
    cancelled = InvoiceMoney(total=Decimal("1250.00"), cancelled=True)
    void = payment_state(cancelled, [], today=TODAY)
    assert (void.status, void.balance) == (PaymentStatus.CANCELLED, Decimal(0))  # nothing owed


def test_write_offs_and_a_closed_invoice_leave_nothing_to_pay() -> None:
    invoice = InvoiceMoney(total=Decimal("2500.00"), due_date=dt.date(2026, 11, 1))
    day = dt.date(2026, 12, 1)
    written_off = Payment(Decimal("2499.50"), day, written_off=Decimal("0.50"))
    settled = payment_state(invoice, [written_off], today=TODAY)
    assert (settled.status, settled.paid_amount, settled.balance) == (
        PaymentStatus.PAID,
        Decimal("2499.50"),
        Decimal(0),
    )
    early = dt.date(2026, 10, 1)
    partly = payment_state(invoice, [Payment(Decimal("1000"), day, Decimal("0.50"))], today=early)
    assert (partly.status, partly.balance) == (PaymentStatus.PARTLY_PAID, Decimal("1499.50"))
    # Fortnox closed it (Balance 0, a FinalPayDate) in a way the payments do not show
    closed = InvoiceMoney(
        total=Decimal("2500.00"), balance=Decimal(0), final_pay_date=day, due_date=day
    )
    shown = payment_state(closed, [Payment(Decimal("2499.50"), day)], today=TODAY)
    assert (shown.status, shown.balance) == (PaymentStatus.PAID, Decimal(0))
    # a write-off read twice (its amount in the payment's too) leaves nothing, not a credit
    counted_twice = Payment(Decimal("2500.00"), day, written_off=Decimal("0.50"))
    assert payment_state(closed, [counted_twice], today=TODAY).balance == Decimal(0)
    still_open = InvoiceMoney(total=Decimal("2500.00"), balance=Decimal(0), due_date=day)
    assert payment_state(still_open, [], today=TODAY).status is PaymentStatus.OVERDUE


def test_payments_that_cancel_out_or_are_corrected_date_the_last_money_in() -> None:
    """A reversal or negative correction is no payment: the date shown is that of the last
    payment that brought money in (or wrote some off), and none when the payments cancel out,
    as the refresh of the linked orders shows such an invoice without reading its payments."""
    invoice = InvoiceMoney(total=Decimal("1000.00"), due_date=dt.date(2026, 12, 31))
    paid, reversed_, repaid = dt.date(2026, 11, 2), dt.date(2026, 11, 5), dt.date(2026, 11, 9)
    reversal = [Payment(Decimal("1000.00"), paid), Payment(Decimal("-1000.00"), reversed_)]
    cancelled_out = payment_state(invoice, reversal, today=TODAY)
    assert cancelled_out == payment_state(invoice, [], today=TODAY)  # nothing paid, no date
    assert cancelled_out.paid_date is None
    repaid_in_full = payment_state(
        invoice, [*reversal, Payment(Decimal("1000.00"), repaid)], today=TODAY
    )
    assert (repaid_in_full.status, repaid_in_full.paid_date) == (PaymentStatus.PAID, repaid)
    corrected = [
        Payment(Decimal("600.00"), paid),
        Payment(Decimal("500.00"), reversed_),  # paid in full, 100 too much
        Payment(Decimal("-100.00"), repaid),  # the overpayment paid back
    ]
    state = payment_state(invoice, corrected, today=TODAY)
    assert (state.status, state.paid_amount, state.balance, state.paid_date) == (
        PaymentStatus.PAID,
        Decimal("1000.00"),
        Decimal(0),
        reversed_,
    )
    # settled in full by a write-off after a payment and its reversal: nothing paid, yet paid
    written_off = [*reversal, Payment(Decimal(0), repaid, written_off=Decimal("1000.00"))]
    settled = payment_state(invoice, written_off, today=TODAY)
    assert (settled.status, settled.paid_amount, settled.balance, settled.paid_date) == (
        PaymentStatus.PAID,
        Decimal(0),
        Decimal(0),
        repaid,
    )


def test_a_reversed_payment_no_longer_dates_the_invoice() -> None:
    """A payment taken back (a negative payment of its amount) leaves the date of the money
    that still stands: an invoice paid in full on the 5th whose payment of the 5th is reversed
    on the 9th is partly paid, last paid on the 2nd, not "paid on the 5th"."""
    invoice = InvoiceMoney(total=Decimal("1000.00"), due_date=dt.date(2026, 12, 31))
    first, second, reversed_ = dt.date(2026, 11, 2), dt.date(2026, 11, 5), dt.date(2026, 11, 9)
    paid_in_full = [Payment(Decimal("400.00"), first), Payment(Decimal("600.00"), second)]
    before = payment_state(invoice, paid_in_full, today=TODAY)
    assert (before.status, before.paid_date) == (PaymentStatus.PAID, second)
    taken_back = [*paid_in_full, Payment(Decimal("-600.00"), reversed_)]
    after = payment_state(invoice, taken_back, today=TODAY)
    assert (after.status, after.paid_amount, after.balance, after.paid_date) == (
        PaymentStatus.PARTLY_PAID,
        Decimal("400.00"),
        Decimal("600.00"),
        first,
    )
    # paid again afterwards: the new payment dates it
    again = dt.date(2026, 11, 20)
    repaid = payment_state(invoice, [*taken_back, Payment(Decimal("600.00"), again)], today=TODAY)
    assert (repaid.status, repaid.paid_date) == (PaymentStatus.PAID, again)
    # the reversal takes back the payment of its amount, not the money that came after it
    early, late = Payment(Decimal("250.00"), first), Payment(Decimal("100.00"), second)
    back = payment_state(
        invoice, [early, late, Payment(Decimal("-250.00"), reversed_)], today=TODAY
    )
    assert (back.paid_amount, back.paid_date) == (Decimal("100.00"), second)
    # a write-off reversed with its payment leaves no date either
    written_off = [Payment(Decimal("999.50"), first, written_off=Decimal("0.50"))]
    reversal = Payment(Decimal("-999.50"), reversed_, written_off=Decimal("-0.50"))
    assert payment_state(invoice, [*written_off, reversal], today=TODAY).paid_date is None


@given(amounts, amounts, st.lists(amounts, max_size=4))
def test_a_credit_counts_once_whether_or_not_fortnox_lowers_the_balance(
    total: Decimal, credit: Decimal, paid: list[Decimal]
) -> None:
    """Whether a credit lowers its invoice's ``Balance`` is unverified
    (``money_facts.CREDIT_LOWERS_CREDITED_BALANCE``): the state is the same under both answers, and
    a credit of money already paid is the credit invoice's to pay back, never left on this one."""
    day = dt.date(2026, 12, 1)
    payments = [Payment(amount, day) for amount in paid]
    settled = sum(paid, Decimal(0))

    def fortnox_says(balance: Decimal) -> InvoiceMoney:
        closed = day if balance <= 0 else None  # fully paid once it reached nothing
        return InvoiceMoney(total=total, balance=balance, final_pay_date=closed, credited=-credit)

    kept = payment_state(fortnox_says(total - settled), payments, today=TODAY)
    lowered = payment_state(fortnox_says(total - credit - settled), payments, today=TODAY)
    assert kept == lowered
    assert kept.balance == max(total - credit - settled, min(Decimal(0), total - settled))


def test_a_paid_invoice_credited_afterwards_leaves_nothing_to_pay() -> None:
    day = dt.date(2026, 12, 1)
    paid = [Payment(Decimal("2500.00"), day)]
    for balance in (Decimal(0), Decimal("-1250.00")):  # Fortnox's balance kept, or lowered
        part = InvoiceMoney(
            total=Decimal("2500.00"), balance=balance, final_pay_date=day, credited=Decimal(-1250)
        )
        state = payment_state(part, paid, today=TODAY)
        assert (state.status, state.paid_amount, state.balance) == (
            PaymentStatus.PAID,
            Decimal("2500.00"),
            Decimal(0),
        )
    overpaid = InvoiceMoney(total=Decimal("2500.00"), credited=Decimal(-1250))
    state = payment_state(overpaid, [Payment(Decimal("3000.00"), day)], today=TODAY)
    assert state.balance == Decimal("-500.00")  # paid beyond the total, credit or not


PAID, AGAIN = dt.date(2026, 11, 5), dt.date(2026, 11, 9)
REGISTERED_AGAIN = [  # paid on the 5th, reversed and registered again on the 9th
    Payment(Decimal("1000.00"), PAID, number=1),
    Payment(Decimal("-1000.00"), AGAIN, number=2),
    Payment(Decimal("1000.00"), AGAIN, number=3),
]
MISTAKE_REVERSED = [  # paid on the 5th, by mistake again on the 9th, and that reversed
    Payment(Decimal("1000.00"), PAID, number=7),
    Payment(Decimal("1000.00"), AGAIN, number=8),
    Payment(Decimal("-1000.00"), AGAIN, number=9),
]


@pytest.mark.parametrize(
    ("payments", "paid_date"),
    [
        (REGISTERED_AGAIN, AGAIN),
        (REGISTERED_AGAIN[::-1], AGAIN),
        ([Payment(p.amount, p.date) for p in REGISTERED_AGAIN], AGAIN),  # no numbers: by day
        ([Payment(p.amount, p.date) for p in REGISTERED_AGAIN][::-1], AGAIN),
        (MISTAKE_REVERSED, PAID),  # the numbers say which one the reversal takes back
        (MISTAKE_REVERSED[::-1], PAID),
    ],
)
def test_a_reversal_on_the_day_of_another_payment_takes_back_the_right_one(
    payments: list[Payment], paid_date: dt.date
) -> None:
    invoice = InvoiceMoney(total=Decimal("1000.00"), due_date=dt.date(2026, 12, 31))
    state = payment_state(invoice, payments, today=TODAY)
    assert (state.status, state.paid_date) == (PaymentStatus.PAID, paid_date)


signed = st.one_of(amounts, amounts.map(lambda a: -a))
registered = st.lists(st.tuples(signed, st.integers(min_value=0, max_value=3)), max_size=8)


def _numbered(steps: list[tuple[Decimal, int]], start: dt.date) -> list[Payment]:
    """Payments numbered in the order they were registered, each some days after the last."""
    day, listed = start, []
    for number, (amount, days_later) in enumerate(steps, start=1):
        day += dt.timedelta(days=days_later)
        listed.append(Payment(amount, day, number=number))
    return listed


@settings(max_examples=1000)
@given(invoices, registered, amounts, st.integers(min_value=0, max_value=3))
def test_a_payment_and_its_reversal_registered_later_change_no_date(
    invoice: InvoiceMoney, steps: list[tuple[Decimal, int]], amount: Decimal, days_later: int
) -> None:
    """Payments, reversals and part reversals registered one after another: a payment
    registered after them and reversed at once leaves the date as it was."""
    paid = _numbered(steps, dt.date(2026, 11, 1))
    last = paid[-1].date if paid else dt.date(2026, 11, 1)
    assert last is not None
    day = last + dt.timedelta(days=days_later)
    pair = [
        Payment(amount, day, number=len(paid) + 1),
        Payment(-amount, day, number=len(paid) + 2),
    ]
    before = payment_state(invoice, paid, today=TODAY)
    assert payment_state(invoice, [*paid, *pair], today=TODAY).paid_date == before.paid_date


def test_a_reversal_takes_back_the_payment_registered_last_before_it() -> None:
    """By Fortnox's payment numbers, not by the dates a bookkeeper gave the payments: a
    payment registered later with an earlier date is the one a later reversal takes back."""
    invoice = InvoiceMoney(total=Decimal("1000.00"), due_date=dt.date(2026, 12, 31))
    payments = [
        Payment(Decimal("100.00"), dt.date(2026, 11, 5), number=1),
        Payment(Decimal("100.00"), dt.date(2026, 11, 3), number=2),
        Payment(Decimal("-100.00"), dt.date(2026, 11, 6), number=3),
    ]
    assert payment_state(invoice, payments, today=TODAY).paid_date == dt.date(2026, 11, 5)


def test_a_deal_invoiced_in_parts_shows_the_money_of_the_parts_that_live() -> None:
    day, later = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    paid = PaymentState(PaymentStatus.PAID, Decimal("7075.00"), Decimal(0), day)
    rest = PaymentState(PaymentStatus.OPEN, Decimal(0), Decimal("16450.00"), None)
    both = deal_state([paid, rest])
    assert both == PaymentState(PaymentStatus.PARTLY_PAID, Decimal("7075.00"), rest.balance, day)
    rest_paid = PaymentState(PaymentStatus.PAID, rest.balance, Decimal(0), later)
    assert deal_state([paid, rest_paid]) == PaymentState(
        PaymentStatus.PAID, Decimal("23525.00"), Decimal(0), later
    )
    late = PaymentState(PaymentStatus.OVERDUE, Decimal(0), rest.balance, None)
    assert deal_state([paid, late]).status is PaymentStatus.OVERDUE
    credited = PaymentState(PaymentStatus.CREDITED, Decimal(0), Decimal(0), None)
    assert deal_state([credited, rest]) == rest  # a part credited in full counts for nothing
    void = PaymentState(PaymentStatus.CANCELLED, Decimal(0), Decimal(0), None)
    assert deal_state([credited, void]) == credited  # nothing lives: the first shows
    assert deal_state([rest, rest]).status is PaymentStatus.OPEN


def test_a_rest_not_invoiced_yet_is_left_to_pay_and_never_paid() -> None:
    """An open backorder's total (``to_invoice``) is left, whatever the invoices say."""
    day = dt.date(2026, 11, 2)
    paid = PaymentState(PaymentStatus.PAID, Decimal("7075.00"), Decimal(0), day)
    rest = Decimal("16450.00")
    assert deal_state([paid], to_invoice=rest) == PaymentState(
        PaymentStatus.PARTLY_PAID, paid.paid_amount, rest, day
    )
    unpaid = PaymentState(PaymentStatus.OPEN, Decimal(0), Decimal("7075.00"), None)
    assert deal_state([unpaid], to_invoice=rest) == PaymentState(
        PaymentStatus.OPEN, Decimal(0), Decimal("23525.00"), None
    )
    late = PaymentState(PaymentStatus.OVERDUE, Decimal(0), Decimal("7075.00"), None)
    assert deal_state([late], to_invoice=rest).status is PaymentStatus.OVERDUE
    closed = PaymentState(PaymentStatus.PAID, Decimal(0), Decimal(0), day)  # written off
    assert deal_state([closed], to_invoice=rest).status is PaymentStatus.PARTLY_PAID
    credited = PaymentState(PaymentStatus.CREDITED, Decimal("7075.00"), Decimal(0), day)
    assert deal_state([credited], to_invoice=rest) == PaymentState(
        PaymentStatus.OPEN, Decimal(0), rest, None
    )  # only the rest lives
    assert deal_state([paid], to_invoice=Decimal(0)) == paid  # nothing waits: as before


@given(
    st.lists(
        st.builds(
            PaymentState,
            st.sampled_from(PaymentStatus),
            amounts,
            amounts,
            st.one_of(st.none(), dates),
        ),
        min_size=1,
        max_size=4,
    ),
    amounts,
)
def test_a_rest_to_invoice_adds_to_what_is_left(parts: list[PaymentState], rest: Decimal) -> None:
    without = deal_state(parts)
    state = deal_state(parts, to_invoice=rest)
    assert state.status is not PaymentStatus.PAID
    live = [
        part
        for part in parts
        if part.status not in (PaymentStatus.CANCELLED, PaymentStatus.CREDITED)
    ]
    assert state.balance == sum((part.balance for part in live), Decimal(0)) + rest
    assert state.paid_amount == sum((part.paid_amount for part in live), Decimal(0))
    if without.status is PaymentStatus.OVERDUE and live:
        assert state.status is PaymentStatus.OVERDUE
