"""Waits on the world outside the process give way.

While a job waits for an API's answer, or for its request's place in a rate budget, it needs
neither the CPU nor the database; the worker that runs it counts only the jobs at work
(:mod:`upsales_fortnox.jobs.run_gate`), so another job works meanwhile. Code that waits so says
it with :func:`waiting_outside`; the worker sets how its job steps aside for the wait
(:func:`stepping_aside_with`). Outside a job (the API's choices and previews) a wait is just
a wait.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar

StepAside = Callable[[], AbstractAsyncContextManager[None]]

_STEP_ASIDE: ContextVar[StepAside | None] = ContextVar("step_aside", default=None)


@contextmanager
def stepping_aside_with(step_aside: StepAside) -> Iterator[None]:
    """Within it, and in the tasks created within it, a wait on the outside world runs inside
    ``step_aside()``."""
    token = _STEP_ASIDE.set(step_aside)
    try:
        yield
    finally:
        _STEP_ASIDE.reset(token)


@asynccontextmanager
async def waiting_outside() -> AsyncIterator[None]:
    """Around a wait for an API's answer or for a place in a rate budget."""
    step_aside = _STEP_ASIDE.get()
    if step_aside is None:
        yield
        return
    async with step_aside():
        yield
