"""The money of a linked Fortnox invoice reaching its Upsales order (the shell around
:mod:`.status`).

Run after the invoice rule for every invoice it reads (an invoice or payment event, or
reconciliation by ``lastmodified``), so each of those paths updates the order; the refresh of
the linked orders once ``paymentStatus`` is turned on reads each linked invoice by
:func:`read_payment_state`:

* ``paymentStatus`` on: the invoice's booked payments are listed (one call,
  ``GET /3/invoicepayments?invoicenumber=N``, and one more per payment with write-offs, whose
  amounts only the payment itself gives) and the order's payment fields written when they
  changed (an Upsales read, and a write only on a change). An invoice made of a deal's order
  is shown with the deal's other invoices and what its open backorders still hold (a deal
  invoiced in parts: one list call of its orders, a read of each other order, and each other
  invoice read as this one is; :mod:`.deal_parts`; a deal imported from an order made in
  Fortnox, whose parts carry no reference of it, by its customer and rows: :mod:`.imported_parts`).
* Whatever the settings: an invoice credited by a credit invoice (``CreditInvoiceReference``)
  is read with that credit invoice (one call; none for an invoice that names no credit), to
  tell a full credit from a partial one, and a credit that stands from one cancelled
  (makulerad), which credits nothing (:func:`.credits.credit_leaves_live`). The order's
  stage follows a partial credit only with ``creditInvoices`` (without it any credit that
  stands is a cancellation); the money fields show the credit either way. A credit invoice is
  never imported; its event re-syncs the invoice it credits.

An invoice or credit we never linked is recorded in the job result and ignored (part of the
intake's record, never an error or a retry); so are the payments of a login from before the
``payment`` scope was asked for (403 "no access to scope"; a new login grants it).

Payment amounts: the payment list gives ``Amount`` (and ``Currency``, ``CurrencyRate``,
``CurrencyUnit``), which for a payment in another currency than SEK is most likely the amount in
SEK
(:data:`upsales_fortnox.integrations.fortnox.money_facts.PAYMENT_AMOUNT_IN_PAYMENT_CURRENCY`):
such a payment is read whole (one call) for its ``AmountCurrency``, the amount in its ``Currency``.
An amount in the invoice's currency (or with no currency named) is taken as it is; one in SEK on
a foreign-currency invoice is converted with the payment's own rate, rounded to öre. Every
reading gives the same amount for SEK invoices, and that conversion lives only here; write-offs
are read the same way
(:data:`upsales_fortnox.integrations.fortnox.money_facts.WRITE_OFFS_SETTLE_AS_PAYMENTS`).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from upsales_fortnox.domain.currency import HOME_CURRENCY
from upsales_fortnox.domain.payment_status import (
    InvoiceMoney,
    Payment,
    PaymentState,
    deal_state,
    payment_state,
    payments_to_read,
)
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.days import fortnox_today as fortnox_day_today
from upsales_fortnox.integrations.fortnox.errors import (
    CODE_NO_ACCESS_TO_SCOPE,
    FortnoxAuthError,
    FortnoxNotFound,
)
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment, WriteOff
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.money.credits import credit_stands, credited_amount, named_credit
from upsales_fortnox.sync.money.deal_parts import deal_of_part, other_parts, part_of
from upsales_fortnox.sync.money.earlier_money import deal_of_earlier, earlier_live_invoices
from upsales_fortnox.sync.money.fields import payment_field_ids, payment_values
from upsales_fortnox.sync.money.imported_parts import deal_of_imported_rest, imported_parts
from upsales_fortnox.sync.order_values import WRITTEN, write_order_values
from upsales_fortnox.sync.repository.seen_payments import remember_payments
from upsales_fortnox.sync.results.inbound import SKIP, PaymentStatusWritten
from upsales_fortnox.vocabulary import FortnoxType

ORE: Final = Decimal("0.01")
ZERO: Final = Decimal(0)


def fortnox_today() -> dt.date:
    """Today in Sweden, where Fortnox's due dates fall."""
    return fortnox_day_today()


async def credit_of(job: InboundJob, invoice: Invoice) -> Invoice | None:
    """The credit invoice that credits ``invoice`` (None when it has none or it is gone)."""
    return await named_credit(job.context.fortnox, invoice)


def payment_amount(
    payment: InvoicePayment, invoice_currency: str, write_off: WriteOff | None = None
) -> Decimal:
    """The payment's amount, or one of its write-offs, in the invoice's currency (see the
    module's note; a write-off is in its own ``Currency``, else the payment's)."""
    amount, currency = payment.Amount, payment.Currency
    if write_off is not None:
        amount, currency = write_off.Amount, write_off.Currency or payment.Currency
    elif payment.AmountCurrency is not None and not _in_home_currency(currency):
        amount = payment.AmountCurrency
    amount = amount or ZERO
    if (currency or invoice_currency).strip().upper() == invoice_currency:
        return amount
    if invoice_currency == HOME_CURRENCY:
        return amount
    rate, unit = payment.CurrencyRate, payment.CurrencyUnit or Decimal(1)
    if not rate:
        return amount
    return (amount * unit / rate).quantize(ORE, rounding=ROUND_HALF_UP)


def _in_home_currency(currency: str | None) -> bool:
    return (currency or HOME_CURRENCY).strip().upper() == HOME_CURRENCY


def _read_whole(item: InvoicePayment) -> bool:
    """Whether the list item lacks what the status needs: its write-offs (the list says only
    that it has some), or its amount in a currency other than SEK."""
    if item.WriteOffExist and not item.WriteOffs:
        return True
    return item.AmountCurrency is None and not _in_home_currency(item.Currency)


async def booked_payments(job: InboundJob, invoice: Invoice) -> list[Payment]:
    """The invoice's booked payments; one with write-offs or in another currency than SEK is
    read whole (:func:`_read_whole`). Each one listed is remembered as paying this invoice, so
    its deletion re-syncs it whichever sync showed it (:mod:`.deleted_payment`)."""
    assert invoice.DocumentNumber is not None
    fortnox = job.context.fortnox
    currency = (invoice.Currency or HOME_CURRENCY).strip().upper()
    payments: list[Payment] = []
    seen: list[str] = []
    async for item in fortnox.iter_invoice_payments(int(invoice.DocumentNumber)):
        if item.Booked is False:
            continue
        whole = item
        if item.Number and _read_whole(item):
            try:
                whole = await fortnox.get_invoice_payment(item.Number)
            except FortnoxNotFound:  # deleted since listed: no longer a payment
                continue
        written_off = sum(
            (payment_amount(whole, currency, row) for row in whole.WriteOffs or ()), ZERO
        )
        number = parse_digits(item.Number or "")
        payments.append(
            Payment(payment_amount(whole, currency), item.PaymentDate, written_off, number)
        )
        if item.Number:
            seen.append(item.Number)
    await remember_payments(
        job.session_factory, job.installation_id, str(invoice.DocumentNumber), seen
    )
    return payments


def invoice_money(invoice: Invoice, credit: Invoice | None) -> InvoiceMoney:
    return InvoiceMoney(
        total=invoice.Total or ZERO,
        balance=invoice.Balance,
        cancelled=bool(invoice.Cancelled),
        due_date=invoice.DueDate,
        final_pay_date=invoice.FinalPayDate,
        credited=credited_amount(credit),
        credit_stands=credit_stands(credit),
    )


async def sync_invoice_money(
    job: InboundJob, invoice: Invoice, credit: Invoice | None, *, today: dt.date | None = None
) -> PaymentStatusWritten | None:
    """Write the payment status of a linked invoice to its order, with the deal's other
    invoices' (:mod:`.deal_parts`); what was done, for the job result (None when
    ``paymentStatus`` is off). An invoice the deal does not link, of the rest of a deal
    invoiced in parts, writes the deal's through the invoice it links."""
    if not job.context.settings.payment_status or invoice.Credit:
        return None
    day = today or fortnox_today()
    number = str(invoice.DocumentNumber)
    link = await job.link_by_fortnox(FortnoxType.INVOICE, number)
    try:
        if link is not None:
            first, credit_first, order_id = invoice, credit, link.upsales_id
        elif deal := (
            await deal_of_part(job, invoice)
            or await deal_of_earlier(job, invoice)
            or await deal_of_imported_rest(job, invoice)
        ):
            order_id = deal[0]
            try:
                first = await job.context.fortnox.get_invoice(int(deal[1]))
            except FortnoxNotFound:
                return PaymentStatusWritten(SKIP, reason="invoice_not_linked")
            credit_first = await credit_of(job, first)
        else:
            return PaymentStatusWritten(SKIP, reason="invoice_not_linked")
        payments = await booked_payments(job, first)
        state = payment_state(invoice_money(first, credit_first), payments, today=day)
        state = await _with_other_parts(job, first, order_id, state, today=day)
    except FortnoxAuthError as exc:
        return scope_missing(exc)
    return await written_state(job, order_id, state)


def scope_missing(exc: FortnoxAuthError) -> PaymentStatusWritten:
    """The result of a login from before the ``payment`` scope was asked for (any other
    refusal is raised again)."""
    if exc.fortnox_code != CODE_NO_ACCESS_TO_SCOPE:
        raise exc
    return PaymentStatusWritten(SKIP, reason="payment_scope_missing")


async def written_state(
    job: InboundJob, order_id: int, state: PaymentState
) -> PaymentStatusWritten:
    """Put ``state`` in the order's payment fields; what was done, for the job result."""
    written = await write_payment_state(job, order_id, state)
    return PaymentStatusWritten(state.status.value, written=written)


async def _with_other_parts(
    job: InboundJob,
    invoice: Invoice,
    deal_id: int,
    state: PaymentState,
    *,
    today: dt.date,
    read: Order | None = None,
) -> PaymentState:
    """``state``, the money of ``invoice``, with that of the deal's other invoices (its earlier
    ones that live again too) and the rest its open backorders hold, if any (``read``: an order
    of the deal read already)."""
    if part_of(invoice) == deal_id:
        others = await other_parts(job.context.fortnox, invoice, deal_id, read)
    else:  # made of an order made in Fortnox, or the deal's only part
        others = await imported_parts(job, invoice, deal_id)
    parts = [*others.invoices, *await earlier_live_invoices(job, deal_id, invoice)]
    if not parts and not others.to_invoice:
        return state
    states = [state]
    for part in parts:
        credit = await credit_of(job, part)
        payments = await booked_payments(job, part)
        states.append(payment_state(invoice_money(part, credit), payments, today=today))
    return deal_state(states, to_invoice=others.to_invoice)


async def read_payment_state(
    job: InboundJob,
    number: str,
    deal_id: int,
    *,
    today: dt.date,
    read: Order | None = None,
) -> PaymentState | None:
    """A linked invoice's payment status read afresh, for the refresh of the linked orders
    (:mod:`upsales_fortnox.sync.inbound.order_fields_refresh`) and a backorder's change
    (:mod:`.backorder_money`, ``read`` that backorder): the invoice (one call), the credit
    invoice it names (one call), and its booked payments only when something was booked
    against it (:func:`~upsales_fortnox.domain.payment_status.payments_to_read`); with the
    deal's other invoices and open backorders, for one invoiced in parts (:mod:`.deal_parts`),
    and its earlier invoices that live again (:mod:`.earlier_money`); ``deal_id``: the deal
    that links it. None when Fortnox no longer has it or it is a credit invoice. A login without the
    ``payment`` scope raises :class:`FortnoxAuthError` as :func:`booked_payments` does."""
    try:
        invoice = await job.context.fortnox.get_invoice(int(number))
    except FortnoxNotFound:
        return None
    if invoice.Credit:
        return None
    credit = await credit_of(job, invoice)
    payments: list[Payment] = []
    if payments_to_read(invoice.Total, invoice.Balance):
        payments = await booked_payments(job, invoice)
    state = payment_state(invoice_money(invoice, credit), payments, today=today)
    return await _with_other_parts(job, invoice, deal_id, state, today=today, read=read)


async def write_payment_state(job: InboundJob, order_id: int, state: PaymentState) -> bool:
    """Put ``state`` in the order's payment fields; False when they showed it already (no
    write) or the order is gone."""
    wanted = payment_values(state, await payment_field_ids(job))
    return await write_order_values(job.context.upsales, order_id, wanted) == WRITTEN
