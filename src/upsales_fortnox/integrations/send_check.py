"""A check made right before a request that may change data leaves for Fortnox or Upsales.

A job's write can wait long before it goes out: in its tenant's pacing queue, or in a process
its host stalled. By then the job's installation may be another worker's, whose search for the
record (a won deal's document, a customer, a company) could miss this write while it is on its
way: two of them. So the worker sets a check for each job's task (a context variable, which
tasks the handler starts inherit too), and both API clients run it once they hold the request's
place in the rate budget, just before they send anything but a read, and the transport runs it
once more when the request holds its connection (:func:`recheck_extensions`). The
check's exception (the job's lease is over) leaves the request unsent. Outside a job (the API's
choices and previews) nothing is checked.

A caller can also have something done at that moment, once: :func:`on_first_send` (a won
deal records its intent to create its document only once the create holds its place, so a
create still waiting for one when its process dies is known never to have been sent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from upsales_fortnox.integrations.api_transport import BEFORE_WRITE

_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("send_check", default=None)
_FIRST_SEND: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar(
    "first_send", default=None
)


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


def recheck_extensions(method: str) -> dict[str, Any] | None:
    """The request extensions of a ``method`` request: a write's makes the transport run the
    check once more when the request holds its connection, right before it is written (a
    request that waited for one in a process stalled meanwhile is not sent late)."""
    return None if method == "GET" else {BEFORE_WRITE: before_sending}


@contextmanager
def on_first_send(action: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """Within it, the first write the Fortnox client sends awaits ``action`` once it holds its
    place in the rate budget, after the check, before anything leaves: what ``action`` raises
    leaves the request unsent. The check is made again once ``action`` has returned: its own
    writes take time, in which the job's lease may end (and another worker's run may miss
    what it wrote). Later tries of the request (and later writes) do not run it again."""
    token = _FIRST_SEND.set([action])
    try:
        yield
    finally:
        _FIRST_SEND.reset(token)


async def first_send() -> None:
    """Awaits the pending :func:`on_first_send` action, if any; it is done once it returns,
    and the check (:func:`before_sending`) is made again after it."""
    pending = _FIRST_SEND.get()
    if pending:
        await pending[0]()
        pending.clear()
        before_sending()
