"""A check made right before a request that may change data leaves for Fortnox.

A job's create can wait long before it goes out: in its tenant's pacing queue, or in a process
its host stalled. By then the job's installation may be another worker's, whose search for the
document could miss this create while it is on its way: two documents for one deal. So the
worker sets a check for each job's task (a context variable, which tasks the handler starts
inherit too), and the Fortnox client runs it once it holds its place in the budget, just before
it sends anything but a read. The check's exception (the job's lease is over) leaves the request
unsent. Outside a job (the API's choices and previews) nothing is checked.
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
