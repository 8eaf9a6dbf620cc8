"""One Fortnox company ("tenant") and all of its data, kept in dicts for O(1) lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from ufs_sandboxes.fortnox.config import Clock
from ufs_sandboxes.fortnox.events import EventLog
from ufs_sandboxes.fortnox.facts import (
    CANCELLED_CREDIT_CLEARS_REFERENCE,
    CREDIT_LOWERS_CREDITED_BALANCE,
    DEFAULT_PRICE_LIST,
    FORTNOX_TIMEZONE,
    INACTIVE_CUSTOMER_DOCUMENTS_REFUSED,
    PAGE_PAST_THE_LAST_REFUSED,
    UNSORTED_LIST_ORDER,
)
from ufs_sandboxes.fortnox.fields import Entity

CURRENCIES = frozenset({"SEK", "EUR", "USD", "NOK", "DKK", "GBP"})
CURRENCY_RATES: dict[str, tuple[Decimal, Decimal]] = {
    "SEK": (Decimal(1), Decimal(1)),
    "EUR": (Decimal("11.4900"), Decimal(1)),
    "USD": (Decimal("10.6500"), Decimal(1)),
    "NOK": (Decimal("0.9800"), Decimal(1)),
    "DKK": (Decimal("1.5400"), Decimal(1)),
    "GBP": (Decimal("13.5000"), Decimal(1)),
}
"""The currency register's rates (SEK per unit), the day's rate a document in that currency
gets when the request names none (sandbox figures, not Fortnox's)."""
UNITS = frozenset({"st", "h", "tim", "dag", "mån", "km", "kg", "l", "m", "m2", "m3", "pkt"})


class Collection:
    """Entities of one kind by key, with the time each was last changed."""

    __slots__ = ("items", "modified")

    def __init__(self) -> None:
        self.items: dict[str, Entity] = {}
        self.modified: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: str) -> Entity | None:
        return self.items.get(key)

    def put(self, key: str, entity: Entity, now: float) -> None:
        self.items[key] = entity
        self.modified[key] = now

    def touch(self, key: str, now: float) -> None:
        self.modified[key] = now

    def delete(self, key: str) -> None:
        del self.items[key]
        del self.modified[key]


PriceTable = dict[str, dict[str, dict[Decimal, Entity]]]
"""price list code → article number → from-quantity → price entity."""


class Tenant:
    def __init__(
        self,
        tenant_id: int,
        *,
        company_name: str,
        organisation_number: str,
        round_off: bool,
        clock: Clock,
        events: EventLog,
    ) -> None:
        self.tenant_id = tenant_id
        self.company_name = company_name
        self.organisation_number = organisation_number
        self.round_off = round_off
        self._clock = clock
        self._events = events
        self.customers = Collection()
        self.articles = Collection()
        self.pricelists = Collection()
        self.orders = Collection()
        self.invoices = Collection()
        self.offers = Collection()
        self.invoicepayments = Collection()
        self._collections = {
            "customers": self.customers,
            "articles": self.articles,
            "pricelists": self.pricelists,
            "orders": self.orders,
            "invoices": self.invoices,
            "offers": self.offers,
            "invoicepayments": self.invoicepayments,
        }
        self.prices: PriceTable = {}
        self.warehouse: dict[str, dict[str, tuple[Decimal, Decimal]]] | None = None
        """Fortnox Lager: article number → stock point code → (in stock, available); None when
        the company has not activated it (see :mod:`.resources.warehouse`)."""
        self.used_customer_numbers: set[str] = set()
        self.currencies = CURRENCIES
        self.currency_rates = dict(CURRENCY_RATES)
        self.units = UNITS
        self.refuses_documents_of_inactive_customers = INACTIVE_CUSTOMER_DOCUMENTS_REFUSED
        """Refuse a new document for an inactive customer (see the facts module)."""
        self.credit_lowers_credited_balance = CREDIT_LOWERS_CREDITED_BALANCE
        """A booked credit invoice lowers its original's ``Balance`` (see the facts module)."""
        self.cancelled_credit_clears_reference = CANCELLED_CREDIT_CLEARS_REFERENCE
        """A cancelled credit invoice's original no longer names it (see the facts module)."""
        self.refuses_pages_past_the_last = PAGE_PAST_THE_LAST_REFUSED
        """Refuse a list page after the last one (see the facts module)."""
        self.lists_unsorted_last_changed_first = UNSORTED_LIST_ORDER != "creation"
        """Lists without ``sortby`` give the last changed first (see the facts module)."""
        self._sequences: dict[str, int] = {}
        self.pricelists.put(
            DEFAULT_PRICE_LIST,
            {
                "Code": DEFAULT_PRICE_LIST,
                "Description": "Prislista A",
                "Comments": None,
                "PreSelected": True,
            },
            clock(),
        )

    def collection(self, name: str) -> Collection:
        """A collection by its path name ("customers", "orders", ...)."""
        collection = self._collections.get(name)
        if collection is None:
            raise KeyError(name)
        return collection

    def now(self) -> float:
        return self._clock()

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self._clock(), FORTNOX_TIMEZONE).date()

    def timestamp(self) -> str:
        """Now as an ISO 8601 date-time in Fortnox's time zone (e.g. a price's ``Date``)."""
        moment = dt.datetime.fromtimestamp(self._clock(), FORTNOX_TIMEZONE)
        return moment.isoformat(timespec="seconds")

    def emit(self, topic: str, event_type: str, entity_id: str | int) -> None:
        self._events.append(self.tenant_id, topic, event_type, str(entity_id))

    def next_number(self, series: str, taken: Callable[[str], bool]) -> int:
        """The next number of a series (customers, articles, orders, ...) that is not taken."""
        number = self._sequences.get(series, 0)
        while True:
            number += 1
            if not taken(str(number)):
                self._sequences[series] = number
                return number

    def company_information(self) -> Entity:
        return {
            "Address": "Storgatan 1",
            "City": "Stockholm",
            "CountryCode": "SE",
            "DatabaseNumber": self.tenant_id,
            "CompanyName": self.company_name,
            "OrganizationNumber": self.organisation_number,
            "VisitAddress": None,
            "VisitCity": None,
            "VisitCountryCode": None,
            "VisitZipCode": None,
            "ZipCode": "111 22",
        }
