"""What we believe about Upsales that its documentation does not settle, in one place.

Each fact names its source, or says *unverified* when no source settles it; the code that uses
a fact survives the other plausible answer too (the note says how).
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

# --- externalValues: the choices a config field reads live --------------------------------

#: How Upsales authenticates its call to a field's ``externalValuesUrl``: *unverified*. App
#: hooks carry the customer API key in the body's ``apiKey`` (upsales.md §5); for
#: externalValues we accept the key in that body field (a POST), in the query parameter below
#: or in the header below, whichever arrives.
EXTERNAL_VALUES_KEY_BODY_FIELD: Final = "apiKey"
EXTERNAL_VALUES_KEY_QUERY: Final = "apiKey"
EXTERNAL_VALUES_KEY_HEADER: Final = "X-Upsales-Api-Key"
#: The HTTP method of that call: *unverified*; we serve both GET and POST.
EXTERNAL_VALUES_METHODS: Final = ("GET", "POST")
#: The shape of the answer: *unverified*; the configJson ``values`` shape
#: (``[{"name", "value"}]``, as the app template's static ``values`` are written).
EXTERNAL_VALUE_NAME: Final = "name"
EXTERNAL_VALUE_VALUE: Final = "value"

# --- app hooks ---------------------------------------------------------------------------

HOOK_EVENT_TYPE_FIELD: Final = "type"
"""The app-hook body field that names the event (``after_order_update``, ...): *unverified*, the
reference documents the event types an app receives but not the field that carries them. If
Upsales uses another name, change it here (the intake's wire model takes its alias from it)."""

HOOK_TYPE_IN_PATH: Final = True
"""Whether Upsales names the hook type in the body or only in the URL (one URL per type, as its
app template routes them): *unverified*; the intake takes the body's type or, failing that, the
path's, and refuses the two disagreeing."""

DELIVERY_ID_FIELD: Final = "deliveryId"
"""An optional top-level field naming one delivery (a retried delivery carries the same value):
Upsales is not known to send one, *unverified*; when present it is the dedupe key instead of the
body's hash. Trigger bodies are written by an admin, who may add it from a template tag."""

HOOK_BODY_HAS_MODIFICATION_TIME: Final = False
"""Whether an after-event's entity carries its modification time: *unverified*. The intake's
body-hash dedupe takes a later hook with a byte-identical body for a retry; with a modification
time in the body that cannot happen, without one it needs the entity changed back exactly."""

HOOK_ORDER_ID_PATHS: Final = (
    "data.obj.id",
    "data.object.id",
    "data.obj",
    "data.object",
    "data.id",
    "id",
)
"""Where ``app_status_order`` names its order (``data.obj``/``data.object`` as an object or a
bare id): *unverified*, so the responder reads each, in this order, first found wins."""

HOOK_LANGUAGE_FIELDS: Final = ("language", "locale")
"""Fields of the hook's ``user`` (then of the body) that may say which language the user reads:
*unverified*; without one the answer is Swedish."""

HEALTH_POLL_PATH: Final = "/health"
"""Where Upsales' operations poll an app, every minute (the app template's README)."""
HEALTH_POLL_NAME: Final = "upsales-fortnox-sync"
"""What that poll expects: the app's name, which the template answers as a JSON string (200,
its package's name). Which name Upsales compares it with, if any, is *unverified*: the service
answers its distribution's name so; a database out of reach answers 503 instead, as the
template advises checking an app's dependencies before answering."""
HOOK_REFUSAL_TEXT_FIELDS: Final = ("error", "message")
"""Where a refusal (400) of a hook Upsales waits on (``before_order_save``) carries the text the
user reads. Upsales' app template refuses with ``{"error": "<text>"}`` (its ``handleError``
middleware sends an ``http-errors`` message so); whether Upsales shows ``error`` or a
``message`` is *unverified*, so the text is in each of these fields, always a string, and the
stable code beside them in ``code``. So is a 503 to such a hook while the database is away,
and its every other refusal (a wrong key, an installation not there, a body it cannot read),
as the template answers every error so (whether Upsales shows the text of a status other than
400 at all is *unverified* too)."""
SYNCHRONOUS_HOOK_ANSWER_SECONDS: Final = 3.0
"""How long an answer that reads the Upsales API (``limit_pricelists``) may take: *unverified*,
Upsales documents no timeout for the app hooks it waits on. Such an answer asks once, within
this time, and otherwise answers as for a question it cannot answer; were Upsales to wait
longer, only the chance of a second try is lost, shorter, the hook's own fallback applies."""
INFO_HOOK_ANSWER_SHAPES: Final = (
    "limit_pricelists: {limit, priceListIds, priceLists}; show_field_sync: {fields}"
)
"""What Upsales reads from the answers to ``limit_pricelists`` and ``show_field_sync``:
*unverified* (no source documents it); the shapes are built in
:mod:`upsales_fortnox.sync.app_hook_answers` and nowhere else."""

# --- the REST API --------------------------------------------------------------------------

DATE_TIMESTAMP_TIMEZONE: Final = ZoneInfo("Europe/Stockholm")
"""The zone of a day Upsales writes as a timestamp. Orders give ``date`` and ``closeDate`` as
``YYYY-MM-DD`` in the collection (reference upsales.md §3), but Upsales writes other days as
midnight in Stockholm in UTC (an activity's ``"closeDate": "2021-09-28T22:00:00Z"`` for the
29th, an account's ``hasActivity``); whether an order's day ever comes so is *unverified*. Such a
timestamp is read as the Swedish day of its instant (``Order.date``, ``Order.closeDate``): the
day meant whether Upsales wrote Stockholm's midnight or UTC's (01:00 or 02:00 the same day in
Stockholm), where the timestamp's UTC date would be the day before for Stockholm's."""

MOD_DATE_TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.000Z"
"""A ``modDate=gte:`` filter as a full timestamp: *unverified*, Upsales documents date filters
only with dates (``date=gte:2016-01-01``). The catch-up sends the timestamp first and, if
Upsales refuses it, the date (a wider window that costs nothing more)."""

DELETED_COMPANY_IS_NOT_FOUND: Final = True
"""A company a person deleted in Upsales answers ``GET /accounts/{id}`` with 404: the
collection's intro gives 404 for "missing or no access" (reference upsales.md §1), but whether a
deleted company is gone or kept (read as before, say, or as inactive) is *unverified*. A Fortnox
document of a customer linked to a company that reads 404 syncs the customer first, which finds
or makes its company (:mod:`upsales_fortnox.sync.inbound.document_sync`); a deleted company that
still reads as before is written to as the link says, and Upsales' refusal of that write fails
the job as it did before the check."""

NAME_FILTER_FOLDS_CASE: Final = True
"""Whether a ``name=`` filter matches regardless of letter case: *unverified* (reference
upsales.md §1 documents the operators, not how text compares); the Upsales sandbox folds case,
not Unicode composition. A company is looked up by name as Fortnox writes it and in its NFC
form, and the matching rule compares the names case-folded, so both answers find a company
named the same up to composition; a server that compares case exactly would hide one named the same
up to case from the live sync, which then creates the company (the initial import, reading
every company, links it)."""

BARE_FILTER_VALUE_KEEPS_COMMAS: Final = True
"""Whether a filter value sent without a comparison type (``name=Andersson, Berg AB``) is one
value with its comma: *unverified*; the collection's intro documents several values only after
a comparison type (``attribute=comparisontype:1,2,3``) and takes a value's ``op:`` start as its
comparison type; nor does it say whether a bare ``null`` is the word or no value (the Upsales
sandbox reads it as no value). So a single value with a comma, one starting like a comparison
type, or the word ``null`` (an article number, say) is sent as a ``q`` condition
(``q={"a": attr, "c": op, "v": value}``, the collection's subscriptions use case), one JSON
string under either answer
(:func:`upsales_fortnox.integrations.upsales.filters.Filter.to_param`); what a search finds is
compared whole afterwards anyway. The Upsales sandbox keeps the comma; a customer's
``bare_filter_values_split_on_commas`` gives the other answer. Custom-field values are not sent
so: the ones filtered on (Fortnox numbers, document references) hold no comma."""

FORBIDDEN_MAY_BE_ACCESS: Final = True
"""Whether Upsales answers 403 for a key whose user lacks the access a request needs:
*unverified*. The collection's intro names 401 for "no valid API key" and 404 for a resource
"you don't have access to"; its one 403 refuses a request by a rule (deleting a product
category that still holds products: ``ProductOrChildCategoryExist``), and the third-party SDK
reads 403 as refused auth. So a 403 is a refused request
(:class:`upsales_fortnox.integrations.upsales.errors.UpsalesForbidden`): the job dies with
Upsales' key and message, and one entity's 403 does not end an import run or say the key was
refused; and, in case it was the user's access, a new key saved requeues the jobs it ended, as
one refused with 401 (:mod:`upsales_fortnox.sync.inbound.deal_retry`)."""

CUSTOM_FILTER_MATCHES_WHOLE_VALUE: Final = True
"""Whether a ``custom=eq:fieldId:value`` filter keeps only the entities whose value is ``value``
(letter case aside) or also those whose value contains it: *unverified* (reference upsales.md
§1 documents the operators, not how custom values compare). Whoever filters so compares the
value whole afterwards: a company's customer number in the matching rule, an order's document
reference (``invoice 12`` is not ``invoice 120``) before a lost create is linked, so both answers
find the same entity. The Upsales sandbox compares whole values; a customer's
``custom_filters_match_substrings`` gives the other answer."""

CUSTOM_PUT_REPLACES: Final = True
"""Whether a PUT's ``custom`` array replaces the entity's custom values or is merged into them:
*unverified* (reference upsales.md §7). Writes send the whole array as read, changed only where
we mean to, which is right under either answer."""

RATE_LIMIT_RESET_HEADER: Final = "X-RateLimit-Reset"
"""Seconds until the rate-limit window resets (reference upsales.md §2)."""

RETRY_AFTER_HEADER: Final = "Retry-After"
"""Read when ``X-RateLimit-Reset`` is absent: *unverified* that Upsales sends it."""

INVOICE_ADDRESS_TYPES: Final = ("Invoice", "Billing")
"""The ``addresses[].type`` of an invoice address: ``Visit`` and ``Mail`` are seen in the
Postman collection, the SDK's enum adds ``Postal``, ``Billing``, ``Delivery``, ``Other``;
whether the invoice address is ``Invoice`` or ``Billing`` is *unverified* (reference upsales.md
§3), so both are preferred, in this order, when a Fortnox customer's address is chosen."""

DELIVERY_ADDRESS_KEPT: Final = True
"""Whether an account keeps an address of type ``Delivery`` and answers it back as written: the
SDK's enum names the type, the Postman collection shows only ``Mail`` and ``Visit``:
*unverified*. The sync survives the other answer: a company that holds no ``Delivery`` address
neither sends nor clears the customer's delivery address (``domain.outbound.other_addresses``),
so the echo of a write Upsales dropped costs a read of the customer at most, never the
bookkeeper's address."""

EMPTIED_ADDRESS_KEPT: Final = True
"""Whether an account keeps an address whose fields a user or the sync empties whole (as an
address of its type with no street, zip code, city or country) rather than dropping it:
*unverified*. Kept, a rep's emptied visiting or delivery address clears the customer's; dropped,
it is as one removed, which neither sends nor clears (``domain.outbound.other_addresses``)."""

ORDER_CONTACT_EMBEDS_NAME: Final = True
"""Whether an order read from Upsales embeds its contact's name (``contact: {id, name, ...}``):
*unverified*. The collection's orders show ``contact: null`` and take ``contact: {id}`` on
create; its other records embed a contact as ``{id, name}`` (phone calls) or with more fields
(appointments), and the Upsales sandbox embeds ``{id, name, email}``. The sync survives the other
answer: a contact that comes without its name leaves the document's "Er referens" as the last
write left it (``domain.outbound.your_reference``), and costs no read of the contact."""

ORDER_ROW_DISCOUNT_MEANING: Final = "unknown"
"""What an order row's ``discount`` means: *unverified*. The row total is ``quantity * price``
(reference §3), so the sync never reads ``discount``."""

ORDER_VALUE_ROUNDS_ROWS: Final = False
"""Whether an order's ``value`` rounds each row's ``quantity * price`` to two decimals before
adding the rows up (and so whether a price of more than two decimals counts in full):
*unverified*. The collection says only that a row's total is ``quantity * price`` and that
``value`` is the order's total sum; its examples are whole kronor. The sync sends rows from
Fortnox with prices of at most two decimals and ``quantity * price`` a whole number of öre
(:mod:`upsales_fortnox.domain.inbound.row_amounts`), so the value is the same under either
answer (the tests compute the value under both). A won deal's rows go to Fortnox adding up to
the order's ``value`` as Upsales states it, to the öre, when its rows can round to it (as they
can to either sum), so the document's ``Net`` is that value under either answer
(:mod:`upsales_fortnox.domain.outbound.money`)."""

MASTER_CURRENCY: Final = "SEK"
"""The master currency of an Upsales account synced with a Swedish Fortnox company: taken to be
SEK, Fortnox's home currency (*unverified*: an account with another master currency would send
its rates against it; :mod:`upsales_fortnox.domain.currency` converts rates through it)."""

UNLISTED_CURRENCY_REFUSED: Final = True
"""Whether Upsales refuses (400) an order in a currency its account does not list under
``/currencies``: *unverified* (the collection names the field, not its check; the Upsales sandbox
refuses it). An order Upsales refuses for any reason is checked against that list, so the
refusal is told as the missing currency it is (:mod:`upsales_fortnox.sync.effects.order_currency`);
were Upsales to take the order, it is made in that currency and nothing is checked."""

CURRENCY_RATE_DIGITS: Final = 15
"""Significant digits of an order's ``currencyRate`` sent (units of the order currency per
unit of the master currency; the collection calls it a Number "in relation to the base currency
of the account", with no precision): how many Upsales keeps is *unverified*. Fifteen is what a
JSON number read as a double holds; a rate kept to fewer loses only the order's value in the
master currency, never its amounts (:mod:`upsales_fortnox.domain.currency`)."""

CURRENCY_RATE_KEPT_AT_LEAST: Final = 6
"""What the reconciliation report takes Upsales to keep of an order's ``currencyRate`` at the
least: six significant digits, or six decimals (*unverified*, as
:data:`CURRENCY_RATE_DIGITS`). A rate written with less (``0.087``) is a rate of its own, which
must be the document's as the sync sends it; one with as much is the document's rate as the
import wrote it, rounded to what Upsales kept (:func:`upsales_fortnox.domain.currency.rates_agree`).
Were Upsales to keep less, an imported foreign document would show as a rate difference."""

ARTICLE_NUMBER_FILTER_FOLDS_CASE: Final = True
"""Whether an ``articleNo=`` filter, and the uniqueness of ``articleNo``, ignore letter case:
*unverified* (the collection says only that the number is unique; the Upsales sandbox folds case
in filters and keeps numbers differing in case apart). A product typed ``hyr-1`` in Upsales is
taken to be Fortnox's article ``HYR-1`` when no product carries ``HYR-1`` exactly and it is the
only one differing in case: it is linked and given the article's spelling (allowed under either
answer: it is the same product). The initial import reads every product, so finds it either way;
a server whose filter compares case exactly hides it from the live article sync, which then
creates the product (or, were uniqueness to ignore case, is refused, and reports it)."""

ACCOUNT_NAME_MAX_LENGTH: Final = 100
"""An account name's longest length: the limit the Upsales sandbox enforces, *unverified* for the
real API. Names from Fortnox are cut to it; were the real limit longer, only the cut is lost."""

#: How long an idle connection to the API is kept for reuse. How long Upsales keeps an idle
#: connection is *unverified*; its answers carry an Express server's headers
#: (``X-DNS-Prefetch-Control`` in the Postman collection's examples), whose Node default is
#: 5 s, so the pool lets a connection go before that instead of racing the server's close (a
#: request on a connection closed under it fails as ambiguous). Were the server's time longer,
#: only a new connection is spent; shorter, the client's retries apply.
IDLE_CONNECTION_REUSE_SECONDS: Final = 4.0

# --- products' prices per price list ------------------------------------------------------

PLAIN_PRICES_WITH_PRICE_LISTS: Final = "unknown"
"""What a product request without ``usePriceLists=true`` sees and writes on an account with price
lists (the "Advanced Order Logic" add-on): *unverified*. The collection says only that requests
must carry it "to be able to see and update prices for different price lists", that the prices
then name their list (``priceListId``) and that a write must resend every list's prices (PM
Products, "With price lists"); a plain write of ``currencies`` may set the default list's prices
alone or replace every list's. So where Upsales lists more than one price list, product prices
are read and written with the parameter, every entry resent as read and only the default list's
changed (:mod:`upsales_fortnox.sync.inbound.currency_prices`); with one list or none there is no
other list's price to lose, and the parameter is not sent: what it does on an account without
the add-on (ignored, or refused) is *unverified* too. The Upsales sandbox drops the other lists'
prices on a plain write; a customer's ``plain_price_writes_keep_other_lists`` keeps them."""

PRICE_LISTS_REFUSED_MEANS_NONE: Final = True
"""Whether ``GET /priceLists`` answers an account without the add-on, and whether it lists
inactive lists: *unverified* (the collection shows one default list, "Standard", never written
by a user). A refusal (4xx) is taken for an account without price lists, which cannot lose a
price to a plain write. Were inactive lists left out, a product whose plainly read prices name
more than one list is not written; one whose plain read hides them could lose them."""
