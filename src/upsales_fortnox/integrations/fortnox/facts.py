"""Every remaining guess about the real Fortnox API, each with its source or *unverified*.

Fortnox's own OpenAPI spec (``specs/fortnox-openapi.json``, see the reference's README) settles
paths, parameters, enums, wire types and write sets; what it does not settle lives here, so a
source that settles one of these changes one line. The code around each guess survives the
other plausible answer too (said per item). The Fortnox sandbox (``sandboxes/``, apart from
the service) keeps its own choices in its own facts module.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

LASTMODIFIED_TIMEZONE: Final = ZoneInfo("Europe/Stockholm")
"""Zone of ``lastmodified`` query values: local time in Fortnox's docs (reference fortnox.md §1,
``lastmodified=2022-11-25 06:00``). How Fortnox reads a wall time in the autumn's repeated hour
is *unverified*: :mod:`upsales_fortnox.integrations.fortnox.lastmodified` sends one that is right
under either reading."""

MAX_DOCUMENT_ROWS: Final = 500
"""Rows per order, invoice or offer: a practical limit reported publicly (reference fortnox.md
§5, Invoices); *unverified* officially, the spec declares no ``maxItems``. A larger document is
refused before sending, and an update that holds a row keeps its first write within the limit
too (:func:`upsales_fortnox.domain.outbound.document_body.held_first_write`); were the real
limit higher, only such rare orders are held back."""

ORDER_REFERENCE_SEARCH_PARAMETER: Final = "externalinvoicereference1"
"""Field search on ``GET /3/orders`` and ``GET /3/invoices``: declared by the spec (not on
``/3/offers``). That it matches substrings, like every field search, is from the docs'
parameters page, so callers compare the field exactly afterwards (survives an exact match)."""

OFFER_SORT_KEY: Final = "id"
"""Offers are paged ``sortby=id`` ascending (the spec's enum: ``customerName``, ``id``,
``transactionDate``, ``total``). That ``id`` grows with every new offer, so offers added during
paging land on later pages, is *unverified*; the import skips a row it already linked, so a
repeated row is harmless, and an offer created during the import also reaches Upsales through
the change stream (``offer-created-v1``). A gapless reading
(:mod:`upsales_fortnox.integrations.fortnox.gapless`) needs only that each offer keeps an ``id``
of its own, as an id does, not that it grows."""

UNSORTED_LIST_ORDER: Final[str | None] = None
"""The order of a list read without ``sortby``: documented only for customers and articles
(the spec's ``GET /3/customers`` and ``GET /3/articles``: "sorted by customer (article) number
with the lowest number appearing first"); for documents, payments and price lists not (the
sandbox answers in creation order), nor whether it stays the same from one call to the next as
entities change. *Unverified*, and not relied on: lists
read whole are read ``sortby`` their number with overlapping pages
(:mod:`upsales_fortnox.integrations.fortnox.gapless`), right whatever that order is, and the
other reads of a register that may span pages (a search, a ``filter``, a date range) ask
``sortby`` its number too, so an entity changed between two page reads is not missed (say, the
document a lost create made, found by its reference). The Fortnox sandbox's
``lists_unsorted_last_changed_first`` gives an order that moves as entities change."""

LIST_TIES_KEEP_THEIR_ORDER: Final = True
"""Whether entities that share the ``sortby`` value (payments of one ``paymentdate``, the only
key the spec offers on ``/3/invoicepayments``) come in the same order in every call: *unverified*
(the sandbox orders them by number). Relied on only for a date with more payments than a page
holds: a gapless reading otherwise starts each page before the newest date it has read, so all
of that date's payments come in one answer, right under either answer
(:mod:`upsales_fortnox.integrations.fortnox.gapless`)."""

PRICE_MISSING_IS_NOT_FOUND: Final = True
"""*Unverified*: whether ``GET /3/prices/sublist/{PriceList}/{ArticleNumber}`` for an article
without a price in the list answers 404 or an empty ``Prices`` list. The client treats both as
"no price", and tells a missing price list (404 on ``GET /3/pricelists/{Code}``) apart."""

PRICE_SUBLIST_MAY_HOLD_OTHER_ARTICLES: Final = True
"""*Unverified*: whether ``GET /3/prices/sublist/{PriceList}/{ArticleNumber}`` answers only that
article's prices. The spec's summary calls it "a list of articles with all their prices in the
specified price list", so the answer may hold other articles' rows (those after it, say); the
client keeps only the rows naming the article asked for (or naming none), right either way."""

SENT_STAYS_SET_ON_UPDATE: Final = True
"""*Unverified*: whether Fortnox's answer to a ``PUT`` of an invoice sent to the customer before
(``Sent``, read-only: e-mailed, printed or marked sent, not booked, so Fortnox takes the change)
still says ``Sent``. The sync tells the sales rep and operators that such an invoice changed
after it was sent (:mod:`upsales_fortnox.sync.outbound.sent_invoice`); should Fortnox clear the
mark on an update, the change is made as before, without that word."""

PUT_UPDATES_ONLY_SENT_FIELDS: Final = True
"""*Unverified* (reference fortnox.md §1; every public client relies on it): a PUT changes only
the fields it sends, except the row list, which it replaces (spec, ``PUT /3/orders/{n}``). The
write models send only their declared write fields, so nothing read is ever written back."""

LARGEST_AMOUNT: Final = Decimal(10) ** 15
"""No quantity or price of a document row reaches this: *unverified* (Fortnox documents no
limit; this one lies far above any real order). A won order with one as large is refused before
any arithmetic, which an amount of a million digits would make slow."""

ROW_TOTAL_FORMULA: Final = "PERCENT: qty*price*(1-d/100); AMOUNT: qty*price-d"
"""How Fortnox computes a row's ``Total`` (reference fortnox.md "Totals"): *unverified*. Kept as
:func:`upsales_fortnox.domain.outbound.money.fortnox_row_total`, which plans price and discount so
the row comes to the Upsales amount; the AMOUNT discount is a whole-row amount either way."""

ROWS_WRITTEN_IN_ORDER_KEEP_THEIR_FIELDS: Final = True
"""A PUT none of whose rows names a ``RowId`` writes its rows over the document's rows in order
(spec, ``PUT /3/invoices/{n}``, ``PUT /3/orders/{n}``). Whether a row so written with another
``ArticleNumber`` takes that article's description, unit, VAT and account, or keeps the old
row's, is *unverified* (the sandbox keeps them). So an update that names none of the
document's rows is never sent that way: it holds one existing row by its ``RowId`` so that the
deal's rows are added as new rows, each from its own article, and a second PUT drops the held
row (:func:`upsales_fortnox.domain.outbound.document_body.held_row_id`); right under either
answer, at one more PUT when every product of the deal changed."""

DOCUMENT_HEADER_OF_A_NEW_CUSTOMER: Final[bool | None] = None
"""Whether a PUT that changes an order's or invoice's ``CustomerNumber`` makes Fortnox take the
header fields the document took from its customer (name, addresses, phones, delivery address,
references, terms) from the new customer, or keeps the old one's: *unverified* (neither the spec
nor the reference says; the sandbox takes only ``CustomerName``, and keeps the rest). So such an
update also sends the new customer's values, from its record
(:func:`upsales_fortnox.domain.outbound.customer_header.customer_header`): the fields both
``fortnox_Customer`` and the request schemas (``fortnox_InvoicePayload``,
``fortnox_OrderPayloadV2``) carry, ``CustomerName`` from ``Name``
(:data:`upsales_fortnox.integrations.fortnox.models.CUSTOMER_HEADER_FIELDS`); a text field the
new customer lacks is cleared (``API_BLANK``), a register code (terms of payment or delivery, way
of delivery) it lacks is left to Fortnox. Right under either answer, at one read of the customer
when the run has not made or matched it. Not sent: the deal's own ``Currency`` and
``OurReference``; ``PriceList``, ``CostCenter``, ``Project`` and ``Comments`` (the rows send
their prices; the others are the bookkeeper's). ``VATType`` and the e-mail fields are not on
both schemas (a document's ``EmailInformation`` is not the customer's ``EmailInvoice``), and the
invoice's ``OrganisationNumber`` is read-only (an order's is sent): under the second answer an
invoice moved to another customer keeps the old one's organisation number, e-mail addresses
and VAT type until a person corrects them. The update is told by the customer the order link
keeps from our last write (:func:`upsales_fortnox.domain.outbound.kept_rows.kept_customer`)
or the document read; a link saved before links kept it sends the header only when the run
made or matched the company's customer, so an ordinary update never costs a read."""

ROW_WITHOUT_ARTICLE_READ_BACK: Final = ""
"""The ``ArticleNumber`` Fortnox answers for a document row sent without one (a free-text row,
such as freight): ``""`` in the sandbox; ``""`` or null from Fortnox is *unverified*. Rows are
matched and fingerprinted with either read as no article
(:func:`upsales_fortnox.domain.outbound.document_body.matching_row_ids`), so a text row read back
is the same row under either answer."""

INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS: Final = "stays invoiced"
"""Whether an order Fortnox turned into an invoice stays invoiced (``InvoiceReference`` set,
closed to changes) once that invoice is cancelled or credited in full: *unverified* (the
sandbox keeps it invoiced). A deal won again after that makes a new document, but reads the
order first and takes it back when Fortnox has opened it again
(:attr:`upsales_fortnox.domain.outbound.deal_documents.DealDocuments.set_aside_order`): one
open document per deal under either answer."""

BACKORDER_KEEPS_ORDER_REFERENCE: Final = True
"""Whether the backorder ("restorder") Fortnox splits off an order invoiced in part carries the
order's ``ExternalInvoiceReference1``, so a search by a deal's reference finds it: *unverified*
(reference fortnox.md, Backorder: it "is linked to the original order", by a field not known;
the spec is silent; the sandbox copies the header's references). Nor is it known whether the
original keeps its ordered quantities (which would show a rest), so a deal won again after the
invoice made of its order ended always searches (one list call) for its order's open backorder,
and takes it for its document, updated with the deal's rows
(:func:`upsales_fortnox.domain.outbound.deal_documents.rest_to_take`): the rest is not repeated
in a new order beside it. Were the reference not carried, the search finds nothing and a new
order is made, as when Fortnox made no backorder; the backorder's rest is then in Fortnox twice
until the bookkeeper cancels one (the report does not count a backorder no deal took). An
order made in Fortnox (an imported deal) carries no reference either way: its backorder is
found among its customer's later backorders by its rows, the original's rest
(:func:`upsales_fortnox.domain.outbound.deal_documents.split_off`), which shows only if the
original keeps its ordered quantities (the sandbox does); otherwise a new order is made, as
before.

The inbound sync relies on it too: the cancellation (or full credit) of the invoice made of a
deal's order leaves the deal won while its rest lives, found among the orders carrying the
deal's reference (:mod:`upsales_fortnox.sync.deal_rest`: an open backorder, or a live invoice
made of one), and a cancelled backorder (or invoice made of one) carrying the reference ends the
deal once nothing else lives. Were the reference not carried, nothing is found: the invoice's
end moves the deal to lost, as when Fortnox made no backorder, and the rest's own events change
nothing. An imported deal's order (made in Fortnox, no reference) has its open backorder found
by its rows instead (:func:`upsales_fortnox.sync.deal_rest.rest_split_off`), which then
becomes the deal's linked document, so its own cancellation ends the deal; a rest already
invoiced into a live invoice is not found that way (the deal goes to lost). The payment fields
(``paymentStatus``) count an open backorder carrying the reference as left to pay, not yet
invoiced (:mod:`upsales_fortnox.sync.money.deal_parts`); were the reference not carried, or for
an imported deal, the deal's money counts its invoices only, as before."""

DOCUMENTS_FOLLOW_CUSTOMER_VAT_TYPE: Final[bool | None] = None
"""Whether an order or invoice takes its customer's ``VATType`` (rows without Swedish VAT for
``EUREVERSEDVAT`` or ``EXPORT``): *unverified*; the spec gives the customer's ``VATType`` enum
(``SEVAT``, ``SEREVERSEDVAT``, ``EUREVERSEDVAT``, ``EUVAT``, ``EXPORT``) without a default or any
effect on documents, and the reference lists only the values. Nor is ``SEVAT`` as the default
sourced (the sandbox's choice). A new customer is therefore sent its VAT type
(:func:`upsales_fortnox.domain.outbound.company.vat_type`); documents send no row ``VAT`` and
the service reads totals back from Fortnox, so it is right under either answer (the sandbox
keeps the article's VAT on every row)."""

FOREIGN_ORG_NUMBER_ACCEPTED: Final[bool | None] = None
"""Whether Fortnox takes a customer ``OrganisationNumber`` that is no Swedish organisation or
personal number (a Norwegian ``923 609 016``), or one Swedish-shaped without its check digit:
*unverified*; the spec gives a string without a pattern, the reference says only "validated"
(the sandbox takes any text). So such a number is never sent: a company abroad keeps its own in
Upsales, not synced either way (its EU VAT number, where it has one, identifies it in Fortnox),
and sends only a Swedish number with its check digit
(:func:`upsales_fortnox.domain.outbound.company.org_number_synced`); right under either answer.
Companies in Sweden, or of no known country, keep the shape check, which catches typos."""

WWW_CHECKED_AS_WEB_ADDRESS: Final[bool | None] = None
"""Whether Fortnox refuses a customer ``WWW`` that is no web address (a note such as "se
Facebook"): *unverified*; the spec gives a string of at most 128 characters and no pattern, the
reference names no such check (the sandbox takes any text). So only a web page that looks like
one (a host name with a dot, no white space or ``@``) is sent
(:func:`upsales_fortnox.domain.outbound.company.web_page_synced`): any other stays the
company's own in Upsales, neither sent nor cleared, and no deal waits on it under either answer."""

INACTIVE_CUSTOMER_DOCUMENTS_REFUSED: Final[bool | None] = None
"""Whether Fortnox refuses (a 4xx) a new order or invoice for a customer whose ``Active`` is
false: *unverified*; the spec has the field on the customer (not on its list item,
``fortnox_CustomerListItem``) and says nothing of its effect, nor does the reference. So a won
deal's company is never linked to an inactive customer it matches (the matches are read whole,
as the one linked is anyway): an active one is taken instead, and with none the deal ends
``fortnox_customer_inactive`` without a new customer
(:func:`upsales_fortnox.domain.outbound.decide.decide_customer`). A company linked already
(its customer made inactive since) has its document sent, as a linked company costs no
customer read: made, it is the customer's; refused, the customer is read and the deal ends with
the same code (:mod:`upsales_fortnox.sync.outbound.inactive_customer`). Either way the
customer's activation retries the deal. The list's ``filter=active`` is not relied on: whether
it combines with a field search (``organisationnumber``) is not documented either."""

CUSTOMER_LIST_ITEM_ACTIVE: Final[bool | None] = None
"""Whether a customer list item (``GET /3/customers``) carries ``Active``: the spec's
``fortnox_CustomerListItem`` has no such field, so it is taken not to; and that
``filter=inactive`` lists exactly the customers whose ``Active`` is false: *unverified* (the
spec gives only the enum ``active`` | ``inactive``, the reference its source, cs Filter.cs).
The initial import lists the inactive customers' numbers once (one call per page of them) and
skips those not linked; an item that does carry ``Active: false`` is skipped as well, so it is
right under either answer about the item. Should the filter list other customers too, they
are only left to their change events (an inactive customer is not imported by those either)."""

LIST_META_INFORMATION: Final = "MetaInformation"
"""The paging block of list answers (``@TotalResources``, ``@TotalPages``, ``@CurrentPage``):
from the docs (reference fortnox.md §1); the spec's list schemas do not declare it. A list
answer without it is read as one page, unless the page is full (``limit`` items), when the
next page is asked for too."""

PAGE_PAST_THE_LAST: Final = "no items"
"""How a list answers a ``page`` after its last (a list that shrank between two page reads):
with no items (the sandbox's default), or refused (400, or 404): *unverified*, no source says.
A refused page after the first is checked against page 1's ``@TotalPages`` (one call more) and
read as a page without items when it lies past it, so both answers end the reading the same
way (:meth:`upsales_fortnox.integrations.fortnox.listing.FortnoxListings._past_the_last`). The
Fortnox sandbox's ``refuses_pages_past_the_last`` gives the other answer."""

PRICE_LIST_CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9]{1,50}")
"""A Fortnox price-list code as the settings accept it. The spec allows 1 to 100 characters
(``fortnox_PriceList.Code``) and Fortnox recommends upper case (reference fortnox.md, price
lists); which characters it accepts beyond letters and digits is *unverified*, so this allows
ASCII letters in either case and digits, 1 to 50 of them (the length of the stored column)."""


CLIENT_CREDENTIALS_TENANT_HEADER: Final = "TenantId"
CLIENT_CREDENTIALS_TENANT_FIELD: Final = "tenantId"
"""How a service account's ``grant_type=client_credentials`` token request names its tenant:
reference fortnox.md §3 says only "with ``tenantId``" (docs: get-access-token-using-client-
credentials); whether as a header or a form field is *unverified*, so both are sent (a server
reading one ignores the other). The answer has no ``refresh_token``."""

CONSENT_EVENT_TYPES: Final = {"consent-created": "created", "consent-revoked": "revoked"}
"""Service-account consent webhooks: Fortnox says "consent created" and "consent revoked" events
arrive "via webhook" (fortnox.md §6); their payload and registration are *unverified*. Read by
:func:`upsales_fortnox.integrations.fortnox.consent.parse_consent_event` alone."""

INVOICE_NUMBER_EVENTS: Final = frozenset({"invoice-bookkeep-v1", "reminder-sent-v1"})
"""Events on the ``invoices`` topic whose ``entityId`` we take as the invoice's number:
*unverified*, no source shows their ``entityId``; the docs single out the payment events as
carrying another entity's number, and these two are named after the invoice. Either answer is
harmless: the job re-reads the invoice, a number Fortnox does not have as an invoice ends as
``not_found`` without a change, and a re-read of another invoice is an idempotent re-sync
(:mod:`upsales_fortnox.intake.fortnox_events`)."""

PAYMENT_DELETION_TOUCHES_INVOICE: Final = False
"""Whether deleting a payment changes the invoice's ``lastmodified``: *unverified*, so not
relied on: ``invoicepayment-deleted-v1`` queues a job that finds the paid invoice in our own
record of the payment's bookkeeping (the deleted payment cannot be read) and re-syncs it
(:mod:`upsales_fortnox.sync.money.deleted_payment`)."""

STREAM_REFUSED_OFFSET_RESTARTS_FROM_NOW: Final = True
"""A WebSocket topic whose stored offset Fortnox refuses (too old, say) is re-added without an
offset, so streaming goes on from now: *unverified* that Fortnox refuses rather than replays;
the reconciliation job (:mod:`upsales_fortnox.sync.reconcile`) fills any gap either way."""

STREAM_REPLIES_IN_COMMAND_ORDER: Final = True
"""Replies to WebSocket commands arrive in the order the commands were sent: *unverified*; the
consumer (:mod:`upsales_fortnox.intake.fortnox_stream.consumer`) relies on it."""


CREATE_MAY_LAND_WITHIN_SECONDS: Final = 60.0
"""How long after our side of a create has ended (answer lost, connection dropped, client timed
out, process killed) Fortnox may still commit that create: *unverified*; nothing documents
whether a request whose client has gone is carried through or stopped, nor how long it may run.
A retried won deal whose search by reference finds nothing therefore searches once more this
long after that first miss before it creates (:mod:`upsales_fortnox.sync.outbound.earlier_create`):
a create committed within it is found and linked; one stopped with its client costs the deal this
wait and nothing else. Operators can change it (``FORTNOX_CREATE_SETTLE_SECONDS``); the wait
is read on the database server's clock, whichever host reads it."""

SECOND_ORDER_OF_OFFER_REFUSED: Final = True
"""Whether ``PUT /offers/{n}/createorder`` of an offer already turned into an order (its
``OrderReference`` set) is refused rather than making a second order: *unverified*; the spec
gives the created order as the only answer, and the reference says only that ``Completed``
blocks it. Not relied on: a won deal of an offer reads the offer before turning it, and after
a createorder whose answer was lost, reads it again once that one can no longer land
(:mod:`upsales_fortnox.sync.outbound.won_offer`); a refused createorder has the offer read once
more, so one that landed later than that wait is linked, were Fortnox to refuse. The sandbox
refuses (400)."""

STOCK_BALANCE_MAY_BE_A_LIST: Final = True
"""``GET /api/warehouse/status-v1/stockbalance?itemIds=`` answers one ``StockBalance`` object
per the spec's schema, one per stock point per its description: which one is *unverified*, so
:func:`upsales_fortnox.integrations.fortnox.stock.balance_of` reads both (a list is summed over
stock points)."""

NO_WAREHOUSE_STATUSES: Final = frozenset({403, 404})
"""How a company without Fortnox Lager answers the stock balance: *unverified* (undocumented);
any of these statuses is read as "no warehouse module", and the article's ``QuantityInStock`` and
``DisposableQuantity`` are used instead (:mod:`upsales_fortnox.integrations.fortnox.stock`).
Which scope the stock balance needs is *unverified* too: neither the spec nor the reference's
scope table names one, so the login asks for none more (an unknown scope could refuse every
login); if Fortnox wants one, its 403 reads as no warehouse module and the stock comes from the
article, as for a company without Fortnox Lager."""

CONSENT_TYPE_KEYS: Final = ("type", "eventType", "event", "topic")
CONSENT_TENANT_KEYS: Final = ("tenantId", "tenant_id", "TenantId", "databaseNumber")
"""Where a consent webhook's body may name its event and its tenant: *unverified* (see
:data:`CONSENT_EVENT_TYPES`);
:func:`upsales_fortnox.integrations.fortnox.consent.parse_consent_event` reads each in turn."""

ENCODED_SLASH_ROUTED: Final = False
"""Whether Fortnox routes a path segment holding ``%2F`` (a customer number ``K/1`` read as
``/3/customers/K%2F1``) to the record: *unverified*; many servers answer 404 for any encoded
slash in a path, and so does the sandbox. Either way a 404 for such a number counts as "no such
record" only once the register's list, searched for the number, has none
(:mod:`upsales_fortnox.integrations.fortnox.slashed_numbers`); when Fortnox routes it, the read
simply succeeds."""

IDLE_CONNECTION_REUSE_SECONDS: Final = 4.0
"""How long an idle connection to the API is kept for reuse. How long Fortnox keeps an idle
connection open is *unverified*; common servers close one after 5 s (Node's and uvicorn's
default), and a tenant's requests come back after about that idle time (the 5 s window), so a
request would race the server's close and fail as ambiguous. At 4 s the pool lets it go first;
a server that keeps connections longer costs a new connection per window, and one that closes
sooner leaves the clients' retries (a read repeated, a create searched for before a resend)."""

SERVICE_CLIENT_REFUSED_ERRORS: Final = frozenset({"invalid_client"})
"""The OAuth ``error`` values of Fortnox's token endpoint that refuse the service's own client id
and secret, for every installation alike (``fortnox_client_rejected``, an outage the jobs wait
out), rather than one installation's grant. RFC 6749 §5.2 gives ``invalid_client`` for a client
whose authentication failed; that Fortnox answers a wrong ``FORTNOX_CLIENT_SECRET`` so is
*unverified* (fortnox.md names no client error). ``unauthorized_client`` (the client may not use
the grant type) may concern one tenant's service account, so it stays that installation's
refusal (``fortnox_auth_failed``), as does any other value: were Fortnox to word a wrong secret
otherwise, the jobs die as they did before this value was read."""
