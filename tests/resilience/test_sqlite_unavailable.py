"""SQLite that cannot take a write: locked by another process, or full. Either way the hook is
answered 503 ``database_unavailable`` with ``Retry-After``, and nothing is stored half-way (every
stored event has its job; nothing of a refused hook is stored)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event

from tests.conftest import ADMIN_TOKEN
from tests.database import create_schema
from tests.intake.support import create_installation, order_hook
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db import engine as engine_module
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.main import create_app
from upsales_fortnox.services import Services, build_services


def _stored(database: Path) -> tuple[int, int, int]:
    """(events, jobs, events whose job is missing)."""
    with sqlite3.connect(database) as connection:
        events = connection.execute("SELECT count(*) FROM inbound_events").fetchone()[0]
        jobs = connection.execute("SELECT count(*) FROM sync_jobs").fetchone()[0]
        orphans = connection.execute(
            "SELECT count(*) FROM inbound_events e LEFT JOIN sync_jobs j ON j.id = e.job_id "
            "WHERE j.id IS NULL"
        ).fetchone()[0]
    return int(events), int(jobs), int(orphans)


async def _service(database: Path, **engine_setup: Any) -> tuple[Services, httpx.AsyncClient, str]:
    url = f"sqlite:///{database}"
    await create_schema(url)
    engine = create_engine(url)
    for name, listener in engine_setup.items():
        event.listen(engine.sync_engine, name, listener)
    settings = Settings(
        database_url=url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )
    services = build_services(settings, engine=engine)
    installation = await create_installation(services.session_factory, services.secret_box)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(services=services)),
        base_url="http://service.test",
    )
    return services, client, f"/webhooks/upsales/{installation.id}"


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    opened: list[Any] = []
    yield opened
    for services, client in opened:
        await client.aclose()
        await services.engine.dispose()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0


async def test_a_locked_database_is_503_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    database = tmp_path / "locked.sqlite3"
    services, client, url = await _service(database)
    closing.append((services, client))
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        _assert_unavailable(await client.post(url, json=order_hook(7)))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _stored(database) == (0, 0, 0)
    assert (await client.post(url, json=order_hook(7))).status_code == 202
    assert _stored(database) == (1, 1, 0)


async def test_a_full_database_is_503_and_stores_nothing_half_way(
    tmp_path: Path, closing: list[Any]
) -> None:
    database = tmp_path / "full.sqlite3"
    limit: dict[str, int] = {}

    def cap_size(dbapi_connection: Any, _record: Any) -> None:
        """A dozen pages more than the empty schema needs (``max_page_count`` is per
        connection, so every connection of the pool gets it)."""
        cursor = dbapi_connection.cursor()
        if "pages" not in limit:
            cursor.execute("PRAGMA page_count")
            limit["pages"] = int(cursor.fetchone()[0]) + 12
        cursor.execute(f"PRAGMA max_page_count={limit['pages']}")
        cursor.close()

    services, client, url = await _service(database, connect=cap_size)
    closing.append((services, client))
    answers: list[int] = []
    padding = "x" * 3000  # each hook stores a few kilobytes
    for order_id in range(1, 200):
        response = await client.post(url, json=order_hook(order_id, note=padding))
        answers.append(response.status_code)
        if response.status_code != 202:
            _assert_unavailable(response)
            break
    accepted = answers.count(202)
    assert answers[-1] == 503 and accepted > 0
    assert _stored(database) == (accepted, accepted, 0)
    # Still full: refused again, and still nothing half-way.
    _assert_unavailable(await client.post(url, json=order_hook(9999, note=padding)))
    assert _stored(database) == (accepted, accepted, 0)


async def test_an_operator_write_on_a_locked_database_is_503_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
) -> None:
    """Every route, not only the intake's, answers an unavailable database with 503
    ``database_unavailable`` and ``Retry-After``: an operator's client retries a 503."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    database = tmp_path / "locked.sqlite3"
    services, client, url = await _service(database)
    closing.append((services, client))
    installation_id = url.rsplit("/", 1)[1]
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    path = f"/api/installations/{installation_id}"
    rename = {"json": {"name": "Acme Nord AB"}, "headers": {**headers, "If-Match": '"1"'}}
    try:
        _assert_unavailable(await client.patch(path, **rename))
    finally:
        other.execute("ROLLBACK")
        other.close()
    answer = await client.patch(path, **rename)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Acme Nord AB"
