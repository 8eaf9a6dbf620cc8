"""Every remaining guess about the real Fortnox API on the money after the deal: payments,
credits, currency rates and overdue invoices, each with its source or *unverified*.

The rest of Fortnox's guesses live in :mod:`upsales_fortnox.integrations.fortnox.facts`, under the
same rule: what the spec does not settle lives here, and the code around each guess survives the
other plausible answer too (said per item).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

PAYMENT_AMOUNT_IN_PAYMENT_CURRENCY: Final = False
"""Whether a payment's ``Amount`` is in the payment's own ``Currency``: *unverified*, and
probably not. Fortnox's API documentation describes ``AmountCurrency`` as "Amount in the
specified currency of the payment. Required if Currency is other than SEK" (as the
standout-fortnox SDK, generated from it, carries it; the spec has the field without a
description, and only on the single payment, not on the list item), so ``Amount`` is the amount
in SEK. The status code (:func:`upsales_fortnox.sync.money.invoice_money.payment_amount`) reads
a payment in another currency than SEK whole and takes its ``AmountCurrency``, in its
``Currency``; without one it takes ``Amount`` as in ``Currency``, and one in SEK on a
foreign-currency invoice is converted with the payment's own rate, rounded to öre. Every reading
gives the same figure for SEK invoices."""

WRITE_OFFS_SETTLE_AS_PAYMENTS: Final = True
"""A payment's ``WriteOffs`` (avskrivningar) settle the invoice as its ``Amount`` does, with the
same sign, each row in its own ``Currency`` as ``Amount`` is in the payment's: the spec names the
fields (``fortnox_InvoicePayment_WriteOff``), not how they count, so this is *unverified*. The
status code (:func:`upsales_fortnox.sync.money.invoice_money.booked_payments`) counts them so
and, whatever it misreads, shows an invoice Fortnox has closed (``Balance`` 0 and a
``FinalPayDate``) ``paid`` with nothing left."""

CANCELLED_CREDIT_STAYS_NAMED: Final = True
"""Whether an invoice keeps its ``CreditInvoiceReference`` once the credit invoice it names is
cancelled (a credit made by mistake, cancelled before it is booked): *unverified* (the spec
and the reference are silent; the sandbox keeps it). So a credit invoice is read whole, as a
credit is told full from partial anyway, and a cancelled one credits nothing
(:func:`upsales_fortnox.sync.money.credits.credit_leaves_live`): the invoice stays live,
its order won, under either answer and whatever the setting ``creditInvoices`` (the credit is
read whenever the invoice names one; an invoice that names none costs no call)."""

CREDIT_LOWERS_CREDITED_BALANCE: Final[bool | None] = None
"""Whether a credit invoice lowers the ``Balance`` of the invoice it credits (once booked, or
at once): *unverified*. The spec names both fields, not how they relate; Fortnox's support pages
have a credited invoice and its credit set off against each other by hand for some invoice
kinds, and the sandbox leaves the credited invoice's balance as it was by default (a tenant's
``credit_lowers_credited_balance`` lowers it once the credit is booked). The status takes no
figure from the ``Balance`` but a closed invoice's nothing, and a credit never leaves less than
the payments alone (:func:`upsales_fortnox.domain.payment_status.payment_state`), so a credit
is counted once and the status is the same under either answer. The invoice list item
(``fortnox_InvoiceListItem``) has no ``CreditInvoiceReference``, so under either answer a list
item cannot tell whether its invoice was credited: the refresh of the linked orders reads each
linked invoice whole (:mod:`upsales_fortnox.sync.inbound.order_fields_refresh`), and a booked
payment or write-off, which lowers the balance under either answer, is what makes it read the
payments too."""

PAYMENTS_TOUCH_INVOICE_LASTMODIFIED: Final = False
"""Whether a payment changes its invoice's ``lastmodified``: *unverified*, so not relied on:
reconciliation lists ``GET /3/invoicepayments?lastmodified=`` itself
(:mod:`upsales_fortnox.sync.money.reconcile_money`)."""

CURRENCY_RATE_PLACES: Final = Decimal("0.000001")
"""Decimals of a document's ``CurrencyRate`` that Fortnox is taken to keep at least (the spec
types it a ``double`` and documents no precision): how many it keeps is *unverified*. The rate
is sent with :data:`CURRENCY_RATE_DIGITS` significant digits, and compared (the fingerprint of
a document) at these decimals only, so a rate Fortnox answers rounded to six decimals, or as a
float, is the one sent (:mod:`upsales_fortnox.domain.currency`). How Fortnox would round an exact
tie is *unverified* as well: compared half to even, as rates were sent before, a rate such as
1/128 = 0.0078125 that Fortnox rounded half up (0.007813) would read as a document changed
there."""

CURRENCY_RATE_DIGITS: Final = 12
"""Significant digits of the ``CurrencyRate`` sent, per one unit of the currency
(``CurrencyUnit`` 1): the value in kronor of a document of up to a hundred million kronor is
then the deal's to the öre where Fortnox keeps them (a ``double`` holds 15). Where it keeps only
:data:`CURRENCY_RATE_PLACES` decimals, a weak currency's rate keeps what six decimals hold, as
before (``0.000660`` SEK per rupiah). A unit of 100 or 1000 would keep more digits there, but
Fortnox's currency register holds a unit per currency (``fortnox_Currency.Unit``), and whether
a document's own ``CurrencyUnit`` is taken, refused or replaced by the register's is
*unverified*: a rate per 1000 read per one unit would value the document a thousand times too
high, so the unit sent stays 1."""

OVERDUE_LIST_SETTLES: Final = dt.timedelta(hours=1)
"""How soon after midnight in Stockholm ``filter=unpaidoverdue`` holds an invoice due the day
before: *unverified*. The sandbox turns at midnight by the Swedish date; Fortnox turns by its
own clock, which is some seconds off ours (the database server's), and may turn later (a
nightly job). Reconciliation reads the list at the first run of each Swedish day and again at
its first run this long into the day when the day's first read came earlier (under one marker,
so nothing is recorded twice): an invoice due yesterday shows overdue that morning under either
answer, not a day late because the day's one read came a minute before Fortnox's midnight."""
