"""Choices where the real Fortnox behaviour is *unverified*, each kept in one place.

Change a value here when a source settles it; nothing else hard-codes these.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from ufs_sandboxes.fortnox import errors

FORTNOX_TIMEZONE = ZoneInfo("Europe/Stockholm")
"""Time zone of ``lastmodified`` parameters, default dates and event timestamps (Fortnox is a
Swedish service; *unverified* for ``lastmodified``)."""

FAILED_AUTH_STATUS = 403
"""Unknown or malformed access token: 403 "failed authentication" (docs: responses)."""

EXPIRED_TOKEN_STATUS = 403
"""Expired access token. The docs only name 403 for failed authentication; 401 is reported
but *unverified*. Clients should treat both as "refresh the token"."""

HEADER_ERROR_STATUS = 400
"""Status of the bad Accept (1000030) and bad Content-Type (1000031) answers (*unverified*)."""

RATE_LIMIT_ERROR_CODE = 429
"""Fortnox documents HTTP 429 but no error code for it; the body carries this number."""

VALIDATION_ERROR_CODE = errors.INVALID_PARAMETER
"""Code for field validation failures with no documented code of their own: a missing required
field, a text over its maximum length, an unknown enum value, a bad date (*unverified*)."""

BOOKED_INVOICE_ERROR_CODE = errors.COMPLETED_DOCUMENT_LOCKED
"""Refusal to change or cancel a booked invoice. No code is documented (*unverified*); the
closest documented one is "a completed document cannot be changed"."""

DOCUMENT_STATE_ERROR_CODE = errors.INVALID_PARAMETER
"""Refusal of an action the document's state does not allow, e.g. invoicing a cancelled order
(*unverified*)."""

DOCUMENT_NOT_FOUND_CODE = errors.NO_VALID_IDENTIFIER
"""404 code for an unknown order, invoice, offer, price list or price (*unverified*)."""

MAX_DOCUMENT_ROWS = 500
"""Rows per order, invoice or offer (*unverified* officially)."""

ORDER_TOTAL_QUANTITY_FIELD = "DeliveredQuantity"
"""An order row's ``Total`` is computed from the delivered quantity, which is what gets
invoiced (*unverified*; the warehouse pitfall in the reference suggests it)."""

FEE_VAT_PERCENT = Decimal(25)
"""VAT on ``Freight`` and ``AdministrationFee``, which are amounts excluding VAT (*unverified*)."""

DEFAULT_VAT_PERCENT = Decimal(25)
ALLOWED_VAT_PERCENTS = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(25)})

INACTIVE_CUSTOMER_DOCUMENTS_REFUSED = False
"""Whether a new order, invoice or offer for a customer whose ``Active`` is false is refused
(400, :data:`VALIDATION_ERROR_CODE`): *unverified*, no source says. The sandbox makes it by
default; a tenant's ``refuses_documents_of_inactive_customers`` gives the other answer."""

CREDIT_LOWERS_CREDITED_BALANCE = False
"""Whether a credit invoice, once booked, lowers the ``Balance`` of the invoice it credits by
its total (that invoice fully paid, ``FinalPayDate`` the credit's date, when it reaches zero):
*unverified*, no source says. The sandbox leaves the balance as it was by default; a tenant's
``credit_lowers_credited_balance`` gives the other answer."""

CANCELLED_CREDIT_CLEARS_REFERENCE = False
"""Whether cancelling a credit invoice clears the ``CreditInvoiceReference`` of the invoice it
credited (that invoice no longer credited): *unverified*, no source says. The sandbox keeps the
reference by default; a tenant's ``cancelled_credit_clears_reference`` gives the other answer."""

PAGE_PAST_THE_LAST_REFUSED = False
"""Whether a list asked for a page after its last (``page`` above ``@TotalPages``) is refused
(400, :data:`VALIDATION_ERROR_CODE`) rather than answered with no items: *unverified*, no
source says. The sandbox answers an empty page by default; a tenant's
``refuses_pages_past_the_last`` gives the other answer."""

UNSORTED_LIST_ORDER = "creation"
"""The order of a list asked without ``sortby``, where the spec documents none (orders,
invoices, offers, payments, price lists; customers and articles come lowest number first, as
it does document), nor whether it holds from one call to the next (*unverified*). The sandbox
answers in creation order by default; a tenant's ``lists_unsorted_last_changed_first`` gives
another answer, one that moves an entity to the front whenever it changes (as a database
without an ``ORDER BY`` may)."""

DEFAULT_PRICE_LIST = "A"
"""The pre-selected price list every tenant starts with; ``Article.SalesPrice`` reads it."""

DEFAULT_TERMS_OF_PAYMENT_DAYS = 30
DEFAULT_OFFER_VALIDITY_DAYS = 30
ROUND_OFF_CURRENCY = "SEK"
"""Öresutjämning applies only to documents in this currency (*unverified*)."""

VOUCHER_SERIES_FOR_INVOICES = "B"
