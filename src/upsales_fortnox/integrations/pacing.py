"""Request pacing for one budget (a Fortnox tenant, an Upsales API key): a sliding window that
the server never sees exceeded.

Both APIs count requests over a window at *their* end, somewhere between our send and their
answer (Fortnox: 25 requests per 5 s per tenant; Upsales: 200 per 10 s per API key; each
system's numbers are in its ``request_rules`` module). :class:`SlidingWindowLimiter` therefore
holds a request's place in the window from the moment it is let through until its response is
in (:meth:`~SlidingWindowLimiter.slot`), and counts the place as used for ``window`` seconds
after that. A new request goes only when fewer than ``limit`` places are taken, so whatever the
network's delays, no ``window`` seconds of the server's clock ever hold more than ``limit`` of
our requests. (Counting from the send instead lets a slow request and a fast one ``limit``
places later land less than a window apart at the server: a 429.) Waiters are served first
come, first served, except that requests read ahead of need (:func:`read_ahead_of_need`) come
after the others and leave them a tenth of the window (rounded down: 2 of Fortnox's 25): an
import reading its next phase while the current one runs must not make the current one wait a
window for its own calls. (This orders one process's requests; a budget shared between
processes, :mod:`.shared_pacing`, serves what each lets through first come, first served.)

The limiter can also be paused: for a given time (:meth:`~SlidingWindowLimiter.pause`, e.g. when
the server says its budget is spent), or after a 429 (:meth:`~SlidingWindowLimiter.rate_limited`:
for ``Retry-After`` when given, else for an exponential backoff with jitter).

Clock and sleep are injectable so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import Context, ContextVar
from dataclasses import dataclass

from upsales_fortnox.integrations.step_aside import waiting_outside

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
StillAhead = Callable[[], bool]
GiveUp = Callable[[float], bool]
"""Whether a request waiting for its place gives up, told the seconds a pause has left."""

logger = logging.getLogger(__name__)

LONGEST_SERVER_WAIT_SECONDS = 300.0
"""The longest wait a server's answer (``Retry-After``, Upsales' ``X-RateLimit-Reset``) is taken
for: a larger one (an epoch time sent as seconds, a date years ahead) would stall the budget in
the process that long, while a request after five minutes lets the server say more."""


def server_wait(seconds: float) -> float:
    """A server-given wait, from 0 to :data:`LONGEST_SERVER_WAIT_SECONDS`."""
    return min(max(0.0, seconds), LONGEST_SERVER_WAIT_SECONDS)


AHEAD_RECHECK_SECONDS = 0.05
"""How often waiters read ahead of need that only the reserve holds back are looked at again:
once their flag turns (the import reached their phase) they may take it."""

_ahead_of_need: ContextVar[StillAhead | None] = ContextVar("ahead_of_need", default=None)


def read_ahead_of_need(still_ahead: StillAhead) -> None:
    """The requests of the current task, and of the tasks it starts from now on, are made
    ahead of need for as long as ``still_ahead()`` says so: they wait behind the others and
    leave them a tenth of every window, rounded down (see :class:`SlidingWindowLimiter`)."""
    _ahead_of_need.set(still_ahead)


def _is_ahead(still_ahead: StillAhead | None) -> bool:
    """Whether a request is still ahead of need; one whose test fails is needed (it goes in
    turn rather than being held, and the limiter's queue stays whole)."""
    if still_ahead is None:
        return False
    try:
        return still_ahead()
    except Exception:
        logger.warning("read-ahead test failed; the request goes in turn", exc_info=True)
        return False


class PausedPastPatience(Exception):
    """A request waiting for its place gave up (:meth:`SlidingWindowLimiter.slot`'s
    ``give_up``): a pause was set that it would not wait out. It was not sent."""

    def __init__(self, pause_left: float) -> None:
        super().__init__(f"paused for {pause_left:g} s more")
        self.pause_left = pause_left


@dataclass(frozen=True)
class _Waiter:
    granted: asyncio.Future[None]
    still_ahead: StillAhead | None
    give_up: GiveUp | None = None


@dataclass(frozen=True)
class RateLimitBackoff:
    """Pause after a 429 without ``Retry-After``: ``base * 2**(strikes-1)``, capped, jittered."""

    base_seconds: float = 1.0
    max_seconds: float = 30.0

    def delay(self, strikes: int, jitter: float) -> float:
        """``jitter`` in [0, 1) spreads the delay over its upper half."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, strikes - 1))
        return ceiling / 2 + ceiling / 2 * jitter


class SlidingWindowLimiter:
    """``limit`` places per ``window_seconds``; share one instance among all clients of a budget."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: RateLimitBackoff | None = None,
        jitter: Callable[[], float] = random.random,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self.reserve = limit // 10
        """Places a request made ahead of need leaves to the others."""
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff or RateLimitBackoff()
        self._jitter = jitter
        self._on_wait = on_wait
        """Told each time a request has to wait for a place (for metrics)."""
        self._in_flight = 0
        # When the last requests finished, oldest first (finishing times only grow).
        self._finished: deque[float] = deque()
        self._waiters: deque[_Waiter] = deque()
        self._dispatcher: asyncio.Task[None] | None = None
        self._a_request_finished = asyncio.Event()
        self._paused_until = float("-inf")
        self._strikes = 0

    @asynccontextmanager
    async def slot(self, give_up: GiveUp | None = None) -> AsyncIterator[None]:
        """Wait for a place in the window and hold it until the block ends; send inside it.
        With ``give_up``: once a pause is set while it waits (another request's 429), or was
        set when it asks, that ``give_up`` will not wait out, :class:`PausedPastPatience` is
        raised instead."""
        await self._take_place(give_up)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._finished.append(self._clock())
            self._a_request_finished.set()

    async def acquire(self) -> None:
        """Take a place that counts from now, for a caller that does not say when it is done."""
        async with self.slot():
            pass

    def _room(self, now: float) -> int:
        """Places free now (0 while paused)."""
        # Compared as "finished + window" since that is the dispatcher's sleep target.
        while self._finished and self._finished[0] + self.window_seconds <= now:
            self._finished.popleft()
        if now < self._paused_until:
            return 0
        return self.limit - self._in_flight - len(self._finished)

    async def _take_place(self, give_up: GiveUp | None = None) -> None:
        self.refuse_a_pause_past(give_up)  # set before it asked: no waiter was told of it
        still_ahead = _ahead_of_need.get()
        room = self._room(self._clock())
        if not self._waiters and room > (self.reserve if _is_ahead(still_ahead) else 0):
            self._in_flight += 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(_Waiter(waiter, still_ahead, give_up))
        try:
            if room > 0:  # waiters queued, and places free now: :meth:`_grant` orders them
                self._grant(room)
                if waiter.done():  # granted with (or past) them: those ahead of it go first
                    await asyncio.sleep(0)
                    return
            if self._on_wait is not None:
                self._on_wait()
            dispatcher = self._dispatcher
            if dispatcher is None or dispatcher.done() or dispatcher.get_loop() is not loop:
                # (A limiter outlives an event loop in tests that share one across loops.)
                self._a_request_finished = asyncio.Event()
                # Its own context: it serves every job's waiters, so it must not carry the
                # log fields (and send check) of the job whose request started it.
                self._dispatcher = loop.create_task(self._dispatch(), context=Context())
            async with waiting_outside():
                await waiter
        except BaseException:  # cancelled, gave up, or a callback failed: the place is not used
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:  # granted
                self._in_flight -= 1
                self._a_request_finished.set()
            else:
                waiter.cancel()  # the dispatcher passes over it
            raise

    async def _dispatch(self) -> None:
        """Grant waiters, first come first served, as many at once as there are free places.

        One task per limiter while anyone waits: granting a whole batch at once (instead of
        waking waiters one by one, each checking the clock and sleeping again) keeps pace with
        a window that frees many places within a millisecond.
        """
        try:
            await self._grant_while_anyone_waits()
        except BaseException as exc:
            cancelled = isinstance(exc, asyncio.CancelledError)
            for waiter in self._waiters:  # never leave a waiter hanging
                if waiter.granted.done():
                    continue
                if cancelled:
                    waiter.granted.cancel()
                else:
                    waiter.granted.set_exception(exc)
            self._waiters.clear()
            if cancelled:
                raise

    async def _grant_while_anyone_waits(self) -> None:
        while True:
            while self._waiters and self._waiters[0].granted.done():  # cancelled while waiting
                self._waiters.popleft()
            if not self._waiters:
                return
            now = self._clock()
            held_back = self._grant(self._room(now))  # free places the reserve kept
            if not self._waiters:
                return
            delay: float | None = None  # None: until a request under way ends
            if now < self._paused_until:
                delay = self._paused_until - now
            elif self._finished:
                delay = self._finished[0] + self.window_seconds - now
            if held_back > 0:
                delay = (
                    AHEAD_RECHECK_SECONDS if delay is None else min(delay, AHEAD_RECHECK_SECONDS)
                )
            if delay is not None:
                await self._sleep(delay)
            else:  # every place is held by a request still under way
                self._a_request_finished.clear()
                await self._a_request_finished.wait()

    def _grant(self, room: int) -> int:
        """Let ``room`` waiters through, first come first served, those made ahead of need
        after the others and only while more than :attr:`reserve` places are free; returns
        the places left free (those the reserve kept from waiters read ahead of need)."""
        # Ordinary waiters at the head go in order (the common case, and O(granted)).
        while room > 0 and self._waiters and self._waiters[0].still_ahead is None:
            room -= self._let_through(self._waiters.popleft())
        if room <= 0 or not self._waiters:
            return 0
        waiting: deque[_Waiter] = deque()
        for waiter in self._waiters:
            if room > 0 and not _is_ahead(waiter.still_ahead):
                room -= self._let_through(waiter)
            else:
                waiting.append(waiter)
        self._waiters = deque()
        for waiter in waiting:
            if waiter.granted.done():
                continue
            if room > self.reserve:
                room -= self._let_through(waiter)
            else:
                self._waiters.append(waiter)
        return room if self._waiters else 0

    def _let_through(self, waiter: _Waiter) -> int:
        """Grant the waiter its place; 1 if it took one (it was not cancelled meanwhile)."""
        if waiter.granted.done():
            return 0
        waiter.granted.set_result(None)
        self._in_flight += 1
        return 1

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        left = self.pause_left()
        for waiter in self._waiters:  # those that would not wait it out are let go, unsent
            if waiter.give_up is not None and not waiter.granted.done() and waiter.give_up(left):
                waiter.granted.set_exception(PausedPastPatience(left))

    def rate_limited(self, retry_after: float | None = None) -> float:
        """Record a 429 and pause the budget; returns the pause in seconds."""
        self._strikes += 1
        if retry_after is None:
            pause = self._backoff.delay(self._strikes, self._jitter())
        else:
            pause = max(0.0, retry_after)
        self.pause(pause)
        return pause

    def succeeded(self) -> None:
        """A request passed the server's limit: the next 429 backs off from the start again."""
        self._strikes = 0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def refuse_a_pause_past(self, give_up: GiveUp | None) -> None:
        """Raise :class:`PausedPastPatience` when the budget is paused now for longer than
        ``give_up`` waits (see :meth:`slot`)."""
        if give_up is not None and (pause := self.pause_left()) > 0 and give_up(pause):
            raise PausedPastPatience(pause)

    def pause_left(self) -> float:
        """Seconds until the pause ends (0: not paused)."""
        return max(0.0, self._paused_until - self._clock())


class LimiterRegistry:
    """One :class:`SlidingWindowLimiter` per budget key (a tenant, an API key), created on first
    use. Keys are held only as digests: an API key is a credential."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: RateLimitBackoff | None = None,
        jitter: Callable[[], float] = random.random,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        def make() -> SlidingWindowLimiter:
            return SlidingWindowLimiter(
                limit,
                window_seconds,
                clock=clock,
                sleep=sleep,
                backoff=backoff,
                jitter=jitter,
                on_wait=on_wait,
            )

        self._make = make
        self._limiters: dict[str, SlidingWindowLimiter] = {}

    def get(self, key: str) -> SlidingWindowLimiter:
        digest = hashlib.sha256(key.encode()).hexdigest()
        limiter = self._limiters.get(digest)
        if limiter is None:
            limiter = self._limiters[digest] = self._make()
        return limiter

    async def aclose(self) -> None:
        """Nothing is held outside the process."""
