"""Requests read ahead of need wait behind the others and leave them a tenth of the window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, cast

from fortnox_testkit import VirtualTime
from hypothesis import given, settings
from hypothesis import strategies as st

from upsales_fortnox.domain.inbound.document_changes import FortnoxDocument
from upsales_fortnox.domain.initial_phases import Phase
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity, Invoice
from upsales_fortnox.integrations.pacing import (
    AHEAD_RECHECK_SECONDS,
    SlidingWindowLimiter,
    read_ahead_of_need,
)
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.initial.read_ahead import PagesAhead, document_read_ahead

Grants = list[tuple[str, float]]
Request = Callable[..., Coroutine[Any, Any, None]]


def _requester(time: VirtualTime, limiter: SlidingWindowLimiter, grants: Grants) -> Request:
    async def request(name: str, arrival: float, ahead: bool = False) -> None:
        if ahead:
            read_ahead_of_need(lambda: True)  # this task only
        await time.sleep(arrival)
        await limiter.acquire()
        grants.append((name, time.now))

    return request


def _turning_reader(
    time: VirtualTime, limiter: SlidingWindowLimiter, grants: Grants, arrival: float, turns: float
) -> list[Coroutine[Any, Any, None]]:
    """A request read ahead of need arriving at ``arrival``, whose phase begins at ``turns``
    (from then on it is needed); granted as ``reader``."""
    ahead = True

    async def reader() -> None:
        read_ahead_of_need(lambda: ahead)
        await time.sleep(arrival)
        await limiter.acquire()
        grants.append(("reader", time.now))

    async def phase_begins() -> None:
        nonlocal ahead
        await time.sleep(turns)
        ahead = False

    return [reader(), phase_begins()]


async def test_requests_ahead_of_need_leave_the_reserve_to_the_others() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    grants: Grants = []
    request = _requester(time, limiter, grants)

    await time.run(
        *(request(f"ahead-{i}", 0.0, ahead=True) for i in range(12)),
        request("needed", 1.0),
    )

    assert limiter.reserve == 1
    ahead = sorted(at for name, at in grants if name.startswith("ahead"))
    assert ahead == [0.0] * 9 + [5.0] * 3  # the tenth place stays free for the others
    assert ("needed", 1.0) in grants  # at once, though the read-ahead asked first


async def test_the_others_go_first_when_places_free_up() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    grants: Grants = []
    request = _requester(time, limiter, grants)

    await time.run(
        *(request(f"first-{i}", i / 10) for i in range(10)),  # the window, one place a tick
        request("ahead", 1.0, ahead=True),
        request("needed", 2.0),
    )

    granted = dict(grants)
    assert granted["needed"] == 5.0  # the first place freed, though it came later
    assert granted["ahead"] == 5.2  # once more than the reserve is free


async def test_a_request_no_longer_ahead_of_need_waits_like_any_other() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    grants: Grants = []
    request = _requester(time, limiter, grants)

    await time.run(
        *(request(f"first-{i}", i / 10) for i in range(10)),
        *_turning_reader(time, limiter, grants, arrival=1.0, turns=2.0),
    )

    assert dict(grants)["reader"] == 5.0  # the first place freed, the reserve included


@settings(max_examples=100, deadline=None)
@given(
    arrivals=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200).map(lambda t: t / 10), st.booleans()),
        max_size=60,
    )
)
def test_no_window_ever_holds_more_than_limit_whoever_asks(
    arrivals: list[tuple[float, bool]],
) -> None:
    async def scenario() -> Grants:
        time = VirtualTime()
        limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
        grants: Grants = []
        request = _requester(time, limiter, grants)
        await time.run(
            *(request(str(i), at, ahead=ahead) for i, (at, ahead) in enumerate(arrivals))
        )
        return grants

    grants = asyncio.run(scenario())

    times = sorted(at for _, at in grants)
    assert len(times) == len(arrivals)
    for index in range(len(times) - 10):
        assert times[index + 10] >= times[index] + 5.0


class _PacedFortnox:
    """Lists one page of twelve invoices and reads each, every call through ``limiter``."""

    def __init__(self, time: VirtualTime, limiter: SlidingWindowLimiter) -> None:
        self._time = time
        self._limiter = limiter
        self.reads: list[float] = []

    async def list_page(self, model: Any, number: int, **_: Any) -> ListPage[Entity]:
        await self._limiter.acquire()
        items: list[Entity] = [Invoice(DocumentNumber=n) for n in range(1, 13)]
        return ListPage(items, total_resources=12, total_pages=1, current_page=number)

    async def get_invoice(self, number: int) -> Any:
        await self._limiter.acquire()
        self.reads.append(self._time.now)
        return Invoice(DocumentNumber=number)


def _paced_read_ahead(
    time: VirtualTime, limiter: SlidingWindowLimiter
) -> tuple[_PacedFortnox, PagesAhead[FortnoxDocument]]:
    """The invoices' read-ahead over :class:`_PacedFortnox`, nothing linked."""
    fortnox = _PacedFortnox(time, limiter)

    async def nothing_linked(phase: Phase, numbers: list[str]) -> dict[str, int]:
        return {}

    paced = cast(FortnoxPort, fortnox)
    return fortnox, PagesAhead(lambda phase, _: document_read_ahead(phase, paced, nothing_linked))


async def test_a_later_phase_read_ahead_leaves_the_import_its_calls_until_it_is_needed() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    fortnox, ahead = _paced_read_ahead(time, limiter)
    import_calls: list[float] = []

    async def the_import() -> None:
        ahead.start(Phase.INVOICES, 1)  # while the import's earlier phases run
        await time.sleep(1.0)
        await limiter.acquire()  # the current phase's own call
        import_calls.append(time.now)
        page = await ahead.page(Phase.INVOICES, 1)  # the phase begins
        assert page is not None and len(page.items) == 12

    await time.run(the_import())

    assert import_calls == [1.0]  # not a window later: the read-ahead left it a place
    assert sorted(fortnox.reads)[:8] == [0.0] * 8  # list + 8 reads: 9 of the 10 places


async def test_the_read_ahead_takes_the_reserve_once_the_import_reaches_its_phase() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    fortnox, ahead = _paced_read_ahead(time, limiter)

    async def the_import() -> None:
        ahead.start(Phase.INVOICES, 1)
        await time.sleep(1.0)  # the earlier phases make no call
        await ahead.page(Phase.INVOICES, 1)  # the phase begins: its reads are the import's own

    await time.run(the_import())

    reads = sorted(fortnox.reads)
    assert reads[:8] == [0.0] * 8  # list + 8 reads: the reserve kept
    assert 1.0 <= reads[8] <= 1.0 + AHEAD_RECHECK_SECONDS  # the reserve, not a window later
    assert reads[9:] == [5.0] * 3


async def test_a_waiter_that_turns_needed_is_let_through_before_later_requests() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    grants: Grants = []
    request = _requester(time, limiter, grants)

    await time.run(
        *(request(f"ahead-{i}", 0.0, ahead=True) for i in range(9)),
        *_turning_reader(time, limiter, grants, arrival=0.5, turns=1.0),
        request("later", 1.5),
    )

    granted = dict(grants)
    assert 1.0 <= granted["reader"] <= 1.0 + AHEAD_RECHECK_SECONDS  # the place free since 0
    assert granted["later"] == 5.0  # after it: the window holds ten now


async def test_a_failing_read_ahead_test_counts_the_request_as_needed() -> None:
    time = VirtualTime()
    limiter = SlidingWindowLimiter(10, 5.0, clock=time.clock, sleep=time.sleep)
    grants: Grants = []

    def broken() -> bool:
        raise RuntimeError("the phase could not be read")

    async def request(name: str) -> None:
        read_ahead_of_need(broken)
        await limiter.acquire()
        grants.append((name, time.now))

    await time.run(*(request(f"r{i}") for i in range(12)))

    # Taken as needed: the reserve is not kept from them, and the queue is served whole.
    assert sorted(at for _, at in grants) == [0.0] * 10 + [5.0] * 2


async def test_a_wait_whose_callback_fails_gives_its_place_back() -> None:
    time = VirtualTime()
    failing = True

    def on_wait() -> None:
        if failing:
            raise RuntimeError("metrics are down")

    limiter = SlidingWindowLimiter(2, 5.0, clock=time.clock, sleep=time.sleep, on_wait=on_wait)
    grants: Grants = []
    errors: list[str] = []

    async def request(name: str, arrival: float) -> None:
        await time.sleep(arrival)
        try:
            await limiter.acquire()
        except RuntimeError as exc:
            errors.append(f"{name}: {exc}")
            return
        grants.append((name, time.now))

    async def metrics_come_back() -> None:
        nonlocal failing
        await time.sleep(1.0)
        failing = False

    await time.run(
        request("a", 0.0),
        request("b", 0.0),
        request("c", 0.0),
        metrics_come_back(),
        request("d", 2.0),
        request("e", 2.0),
    )

    assert errors == ["c: metrics are down"]
    # c's failed wait left nothing behind: the two places free at 5 s go to d and e.
    assert sorted(grants) == [("a", 0.0), ("b", 0.0), ("d", 5.0), ("e", 5.0)]
