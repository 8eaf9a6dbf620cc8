"""Back-pressure for the webhook intake: a bound on the requests it works on at once.

A request beyond the bound is refused at once, before its body is read (503 ``overloaded`` with
``Retry-After``), instead of waiting in a queue without end. That bounds the intake's memory (at
most ``limit`` bodies of at most ``WEBHOOK_MAX_BODY_BYTES`` each) and the latency of the requests
it takes: each waits behind at most ``limit`` others for the group commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

OVERLOADED: Final = "overloaded"
RETRY_AFTER_SECONDS: Final = 1


class Overloaded(Exception):
    """The intake is at its limit; the caller should come back after ``RETRY_AFTER_SECONDS``."""


class Admission:
    """Counts requests in flight; :meth:`enter` refuses one over ``limit``.

    Used from one event loop: the check and the count happen without an await in between.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.in_flight = 0
        self.refused = 0

    @contextmanager
    def enter(self) -> Iterator[None]:
        if self.in_flight >= self.limit:
            self.refused += 1
            raise Overloaded
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
