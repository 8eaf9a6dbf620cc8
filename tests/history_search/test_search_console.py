"""The console's search page over HTTP: names are shown as text, never as markup, and a query
it cannot search by, however long, is a 422 page with the API's code (not a bare JSON body)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import ADMIN_TOKEN
from tests.console.support import CONSOLE_ORIGIN, log_in
from tests.history_search.support import seed


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_ORIGIN) as client:
        await log_in(client, ADMIN_TOKEN)
        yield client


async def test_a_name_that_looks_like_markup_is_shown_as_text(
    console: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed(session_factory, company="<script>alert(1)</script> AB")
    page = await console.get("/console/search", params={"q": "<script>"})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; AB" in page.text


@pytest.mark.parametrize("q", ["x", "y" * 101, "y" * 1001])
async def test_a_query_it_cannot_search_by_is_a_422_page(
    console: httpx.AsyncClient, q: str
) -> None:
    page = await console.get("/console/search", params={"q": q})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "validation_error" in page.text
