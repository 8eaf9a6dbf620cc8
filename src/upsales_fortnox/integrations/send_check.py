"""A check made right before a request that may change data leaves for Fortnox or Upsales.

A job's write can wait long before it goes out: in its tenant's pacing queue, or in a process
its host stalled. By then the job's installation may be another worker's, whose search for the
record (a won deal's document, a customer, a company) could miss this write while it is on its
way: two of them. So the worker sets a check for each job's task (a context variable, which
tasks the handler starts inherit too), and both API clients run it once they hold the request's
place in the rate budget, just before they send anything but a read. The check's exception
(the job's lease is over) leaves the request unsent. Outside a job (the API's choices and
previews) nothing is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("send_check", default=None)


@contextmanager
def checked_before_sending(check: Callable[[], None]) -> Iterator[None]:
    """Within it, and in the tasks created within it, :func:`before_sending` runs ``check``."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)


def before_sending() -> None:
    """Raises whatever the current check raises; nothing when no check is set."""
    check = _CHECK.get()
    if check is not None:
        check()
