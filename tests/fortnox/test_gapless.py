"""A register read whole with overlapping pages misses no entity that stayed in it, however
entities leave, come or change places between two page reads (a list kept in memory stands in
for Fortnox: each answer cuts its sorted state of that moment)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from upsales_fortnox.integrations.fortnox.errors import FortnoxListKeptMoving
from upsales_fortnox.integrations.fortnox.gapless import (
    LIST_ORDERS,
    Answer,
    Window,
    read_gapless,
    window_from,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment

FIRST_DAY = date(2026, 11, 1)


class MovingList:
    """Customers (or payments, ``dated``) sorted by number (or by date, in an order among one
    date's payments that ``shuffle_ties`` draws anew for every answer); ``between`` changes the
    list after every answer."""

    def __init__(self, numbers: list[int], *, dated: bool = False, seed: int = 0) -> None:
        self.numbers = set(numbers)
        self.dated = dated
        self.random = random.Random(seed)
        self.shuffle_ties = False
        self.between: Callable[[MovingList], None] = lambda _: None
        self.windows: list[Window] = []

    def day(self, number: int) -> date:
        return FIRST_DAY + timedelta(days=number // 7)  # about seven payments a date

    def ordered(self) -> list[int]:
        if not self.dated:
            return sorted(self.numbers)
        ties = {n: self.random.random() if self.shuffle_ties else n for n in self.numbers}
        return sorted(self.numbers, key=lambda n: (self.day(n), ties[n]))

    async def fetch(self, window: Window) -> Answer[InvoicePayment | Customer]:
        self.windows.append(window)
        ordered = self.ordered()
        cut = ordered[window.start : window.end]
        items: list[InvoicePayment | Customer] = [
            InvoicePayment(Number=str(n), PaymentDate=self.day(n))
            if self.dated
            else Customer(CustomerNumber=str(n))
            for n in cut
        ]
        answer = Answer(items, len(ordered), window.end >= len(ordered))
        self.between(self)
        return answer

    async def read(self, size: int) -> list[str]:
        order = LIST_ORDERS[InvoicePayment if self.dated else Customer]
        return [order.number(item) or "" async for item in read_gapless(self.fetch, order, size)]


def churn(deletions: int, additions: int) -> Callable[[MovingList], None]:
    """Delete up to ``deletions`` entities and add up to ``additions`` new ones, anywhere."""

    def change(listed: MovingList) -> None:
        rng = listed.random
        for number in rng.sample(sorted(listed.numbers), min(len(listed.numbers), deletions)):
            listed.numbers.discard(number)
        for _ in range(rng.randint(0, additions)):
            listed.numbers.add(rng.randrange(10_000, 20_000))

    return change


async def test_a_list_of_one_page_takes_one_call() -> None:
    listed = MovingList(list(range(1, 401)))

    assert len(await listed.read(500)) == 400
    assert listed.windows == [Window(1, 500)]


@pytest.mark.parametrize(("entities", "calls"), [(500, 1), (501, 2), (1000, 3), (5000, 11)])
async def test_a_longer_list_takes_about_one_call_in_twenty_more(entities: int, calls: int) -> None:
    listed = MovingList(list(range(entities)))

    assert sorted(map(int, await listed.read(500))) == list(range(entities))
    assert len(listed.windows) == calls
    assert all(1 <= window.limit <= 500 for window in listed.windows)


@pytest.mark.parametrize("seed", range(40))
async def test_entities_deleted_or_added_between_pages_hide_no_other(seed: int) -> None:
    listed = MovingList([n * 10 for n in range(1, 300)], seed=seed)
    listed.between = churn(deletions=seed % 6, additions=3)  # beyond the overlap, too
    stayed = set(listed.numbers)

    seen = set(map(int, await listed.read(20)))

    stayed &= listed.numbers  # deleted meanwhile: may be seen or not
    assert stayed <= seen


@pytest.mark.parametrize("seed", range(40))
async def test_payments_of_one_date_reordered_between_pages_hide_no_other(seed: int) -> None:
    listed = MovingList(list(range(1, 300)), dated=True, seed=seed)
    listed.shuffle_ties = True
    listed.between = churn(deletions=seed % 4, additions=0)
    stayed = set(listed.numbers)

    seen = set(map(int, await listed.read(20)))

    assert stayed & listed.numbers <= seen


async def test_the_first_page_read_again_proves_what_moved_furthest() -> None:
    listed = MovingList(list(range(1, 61)))
    listed.between = lambda moving: moving.numbers.difference_update(
        sorted(moving.numbers)[:8] if len(moving.windows) == 1 else []
    )  # after the first page, eight of its entities go

    seen = set(map(int, await listed.read(20)))

    assert set(range(9, 61)) <= seen


def test_a_page_starts_at_or_before_its_place_and_reaches_furthest() -> None:
    assert window_from(0, 500) == Window(1, 500)
    assert window_from(497, 500) == Window(2, 497)  # places 497..993
    for place in (497, 991, 4_999, 123_456):
        window = window_from(place, 500)
        assert window.start <= place < window.end - 1 and window.limit <= 500


async def test_a_list_that_keeps_moving_is_given_up_for_a_later_try() -> None:
    listed = MovingList(list(range(1_000, 1_050)))
    front = iter(range(999, 0, -1))
    listed.between = lambda moving: moving.numbers.update(next(front) for _ in range(20))

    with pytest.raises(FortnoxListKeptMoving):
        await listed.read(20)
