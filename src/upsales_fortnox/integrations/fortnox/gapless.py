"""Whole lists read page by page without missing an entity that moved between two reads.

Fortnox cuts a list's pages by place. When an entity leaves the list (deleted, or changed out
of a ``filter``) from a page already read, every later entity moves one place toward the
start: the first one of the next page slips onto the page read before and is never seen.
Without ``sortby`` no order is documented at all, so any change might move entities across
pages (:data:`.facts.UNSORTED_LIST_ORDER`). Reconciliation therefore reads its lists with
:func:`read_gapless` (``FortnoxListings.iter_gapless``):

* **Order**: ``sortby`` the register's own number, ascending (:data:`LIST_ORDERS`, values of
  the spec's ``sortby`` enums; none is ``lastmodified``, in whose order a change would only
  move an entity on). A number is unique and stays its entity's, so every call sorts the same
  way; numbers are never compared here, so how Fortnox collates them does not matter.
* **Overlap**: each page after the first starts :data:`OVERLAP` places before the last entity
  read. The spec pages by ``page`` and ``limit`` (at most 500) only, so such a page is one
  whose ``limit`` divides its start: :func:`window_from` takes the one that reaches furthest.
* **Proof**: an answer is the list at one instant, every entity from its first to its last in
  it. An answer that holds an entity already proven thus extends the proven run from the list's
  start without a hole, however entities moved between the calls; the first page starts the
  run, and the reading ends with an answer that reaches the list's end. An answer holding none
  (more entities left before it than the overlap, say) proves nothing: the next call starts
  further back, twice as far each time, at worst at the first place, where any answer holds.
* **Ties**: payments are sorted by ``paymentdate``, which many share, in an order among them
  that is not documented (:data:`.facts.LIST_TIES_KEEP_THEIR_ORDER`). There an answer extends
  the run only if its first payment is older than the newest date proven, so each date's
  payments are read in one answer; only a date with more payments than a page holds is read
  by identity, as above, trusting the order among them.

An entity that comes into the list during the reading (changed after the reader began) may be
missed: the next reconciliation window holds it; the ones it moves on are read twice and given
once. One that left may have been read: its handler finds it gone. A list of one page costs
one call, as before; a longer one about one call in 20 more (5,000 entities: 11 calls instead
of 10), and one more for each shift beyond the overlap. A list still moving after
:data:`CALLS_PER_PAGE` calls for each page it first had raises
:class:`~.errors.FortnoxListKeptMoving`: the job tries again later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from upsales_fortnox.integrations.fortnox.errors import FortnoxListKeptMoving
from upsales_fortnox.integrations.fortnox.facts import OFFER_SORT_KEY
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    Invoice,
    Offer,
    Order,
)
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment

E = TypeVar("E", bound=Entity)

OVERLAP: Final = 2
"""Places a page starts before the last entity read: that many entities may leave the list
before it between two calls without a call more."""
CALLS_PER_PAGE: Final = 3
"""Calls a list may take per page it had at the first call before its reader gives up."""


@dataclass(frozen=True)
class ListOrder:
    """A register's ``sortby`` key, the field naming its entities, and (for a key that several
    entities share) the field the key sorts by, read as ISO text."""

    sort_by: str
    number_field: str
    shared_field: str | None = None

    def number(self, entity: Entity) -> str | None:
        return _text(getattr(entity, self.number_field, None))

    def shared(self, entity: Entity) -> str | None:
        field = self.shared_field
        return _text(getattr(entity, field, None)) if field else None


LIST_ORDERS: Final[dict[type[Entity], ListOrder]] = {
    Customer: ListOrder("customernumber", "CustomerNumber"),
    Article: ListOrder("articlenumber", "ArticleNumber"),
    Order: ListOrder("documentnumber", "DocumentNumber"),
    Invoice: ListOrder("documentnumber", "DocumentNumber"),
    Offer: ListOrder(OFFER_SORT_KEY, "DocumentNumber"),
    InvoicePayment: ListOrder("paymentdate", "Number", "PaymentDate"),
}


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


@dataclass(frozen=True)
class Window:
    """Page ``page`` of ``limit`` entities: places ``start`` to ``end`` (exclusive)."""

    page: int
    limit: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def end(self) -> int:
        return self.page * self.limit


def window_from(place: int, size: int) -> Window:
    """Of the pages of at most ``size`` entities starting at or before ``place``, the one that
    reaches furthest (the largest ``limit`` among equals)."""
    if place <= 0:
        return Window(1, size)
    return max(
        (Window(place // limit + 1, limit) for limit in range(size, 0, -1)),
        key=lambda window: window.end,
    )


@dataclass(frozen=True)
class Answer(Generic[E]):
    """One list answer: its entities, the list's length then, whether it reaches the end."""

    items: list[E]
    total: int
    reaches_end: bool


Fetch = Callable[[Window], Awaitable[Answer[E]]]


class _Run:
    """The proven run: the entities read in answers that extend it from the list's start."""

    def __init__(self, order: ListOrder) -> None:
        self.order = order
        self.proven: set[str] = set()
        self.older_than: str | None = None
        """The date the next answer's first entity must be older than (None: the next answer
        must hold a proven entity)."""
        self.last = -1
        """Place of the last entity proven, in the answer that proved it."""
        self.anchors: list[tuple[int, str | None]] = []
        """Places the next page may start at, each with the rule it must then pass."""

    def extends(self, window: Window, items: Sequence[Entity]) -> bool:
        if window.start == 0:
            return True
        if self.older_than is not None:
            first = self.order.shared(items[0]) if items else None
            return first is not None and first < self.older_than
        return any(self.order.number(item) in self.proven for item in items)

    def extend(self, window: Window, items: Sequence[Entity]) -> None:
        self.proven.update(n for item in items if (n := self.order.number(item)) is not None)
        self.last = window.start + len(items) - 1
        self.anchors = []
        dates = [self.order.shared(item) for item in items] if self.order.shared_field else []
        if dates and None not in dates and dates[-1] != self.older_than:
            newest = dates[-1]
            first_newest = dates.index(newest)
            if first_newest > 0:  # start before the newest date: all of it in one answer
                before = window.start + first_newest - 1
                self.anchors += [(before - OVERLAP, newest), (before, newest)]
        self.anchors += [(self.last - OVERLAP, None), (self.last, None)]

    def next_window(self, size: int, back: int) -> Window:
        """The next page: reaching past the last entity proven, or (``back`` > 0, after an
        answer that proved nothing) ``back`` places before the page chosen last."""
        for place, older_than in self.anchors:
            window = window_from(place - back, size)
            if back or window.end > self.last + 1:
                self.older_than = older_than
                self.anchors = [(place, older_than)]
                return window
        # None holds place `last` and the next unless `last` + 1 is a multiple of every limit
        # from 2 to `size`: with pages of 500, never.
        raise ValueError(f"no page of at most {size} entities reaches past place {self.last}")


async def read_gapless(fetch: Fetch[E], order: ListOrder, size: int) -> AsyncIterator[E]:
    """Every entity of a list, each once (entities without a number at every reading), with
    pages of at most ``size`` entities (see the module)."""
    run = _Run(order)
    given: set[str] = set()
    window, back, calls, budget = Window(1, size), 0, 0, 0
    while True:
        answer = await fetch(window)
        calls += 1
        budget = budget or CALLS_PER_PAGE * (answer.total // size + 1)
        for item in answer.items:
            number = order.number(item)
            if number is None or number not in given:
                given.add(number or "")
                yield item
        if run.extends(window, answer.items):
            if answer.reaches_end:
                return
            run.extend(window, answer.items)
            back = 0
        else:
            back = max(OVERLAP, 2 * back)
        if calls >= budget:
            raise FortnoxListKeptMoving(f"the list kept moving through {calls} pages")
        window = run.next_window(size, back)
