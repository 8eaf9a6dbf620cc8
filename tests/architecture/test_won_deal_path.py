"""One won deal, from its Upsales hook to the Fortnox write, passes through few product files.

The path is traced, not listed by hand: it is the product files on the call stack when the
hook's job is stored and when the invoice is sent to Fortnox (helpers that are called and
return, such as the pure decisions, are consulted on the way but do not carry the deal).
The README's architecture section names the files.
"""

from __future__ import annotations

import asyncio
import contextvars
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import upsales_fortnox
from tests.e2e.harness import SyncHarness, harness
from tests.e2e.outbound_support import link_demo_products

__all__ = ["harness"]

PRODUCT = Path(upsales_fortnox.__file__).parent
_JOB_INSERT = "INSERT INTO SYNC_JOBS"
MAX_FILES_ON_THE_PATH = 10


#: The product files on the stacks that created the running task (a task's own stack starts at
#: the event loop, so each task carries the chain of the code that started it).
_TASK_CHAIN: ContextVar[tuple[str, ...]] = ContextVar("won_deal_task_chain", default=())


def _product_files_on_the_stack() -> tuple[str, ...]:
    root = str(PRODUCT)
    here = tuple(
        str(Path(frame.filename).relative_to(PRODUCT))
        for frame in traceback.extract_stack()
        if frame.filename.startswith(root)
    )
    return _TASK_CHAIN.get() + here


def _chained_task_factory(
    loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
) -> asyncio.Task[Any]:
    context = kwargs.pop("context", None) or contextvars.copy_context()
    context.run(_TASK_CHAIN.set, _product_files_on_the_stack())
    return asyncio.Task(coro, loop=loop, context=context, **kwargs)


@contextmanager
def won_deal_path(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Product files on the chain when the hook's job row is stored and when the invoice is
    POSTed to Fortnox (the first of each: later hooks are our own write-backs)."""
    path: list[str] = []
    marks: set[str] = set()

    def remember(mark: str) -> None:
        if mark not in marks:
            marks.add(mark)
            path.extend(name for name in _product_files_on_the_stack() if name not in path)

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _JOB_INSERT in statement.upper():
            remember("job")

    fetch = asyncpg.connection.Connection.fetch

    async def traced_fetch(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if _JOB_INSERT in query.upper():
            remember("job")
        return await fetch(self, query, *args, **kwargs)

    send = httpx.AsyncClient.send

    async def traced_send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        if request.method == "POST" and request.url.path.endswith("/3/invoices"):
            remember("invoice")
        return await send(self, request, **kwargs)

    loop = asyncio.get_running_loop()
    previous_factory = loop.get_task_factory()
    loop.set_task_factory(_chained_task_factory)
    event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
    monkeypatch.setattr(httpx.AsyncClient, "send", traced_send)
    monkeypatch.setattr(asyncpg.connection.Connection, "fetch", traced_fetch)
    try:
        yield path
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_statement)
        loop.set_task_factory(previous_factory)
    assert marks == {"job", "invoice"}, f"the path was not seen whole: {marks}"


async def test_a_won_deal_reaches_fortnox_through_few_product_files(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await link_demo_products(harness)
    harness.connect_upsales_hooks()
    with won_deal_path(harness.services.engine, monkeypatch) as path:
        harness.upsales.update_entity(
            harness.demo.customer_id,
            "orders",
            harness.demo.opportunity_id,
            {"stage": {"id": harness.demo.stage_won_id}, "probability": 100},
            user_id=harness.demo.sales_rep_user_ids[0],
            fire_hooks=True,
        )
        await harness.upsales.flush_hooks()
        await harness.run_jobs()
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items
    assert len(invoices) == 1, "the won deal made no single invoice"
    print("\n".join(path))
    assert len(path) <= MAX_FILES_ON_THE_PATH, path
