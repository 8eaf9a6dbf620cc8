"""``upsales-fortnox preview ID`` and ``upsales-fortnox initial-sync ID --run`` as an operator
runs them: the commands build their own services from the environment, so both sandboxes are
served over real sockets and the settings point at them (SQLite in a file)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from tests.database import create_schema
from tests.e2e.harness import _active_installation
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    create_fortnox_sandbox,
)
from ufs_sandboxes.upsales import (
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
    seed_demo_upsales,
)
from upsales_fortnox.cli.commands import cli
from upsales_fortnox.core.config import Settings
from upsales_fortnox.services import build_services
from upsales_fortnox.vocabulary import ProductBundleMode, SyncType

SECRET_KEY = "cli-secret-key-0123456789abcdef"
ADMIN_TOKEN = "cli-admin-token-0123456789"


def _listening_socket() -> socket.socket:
    """Bound and listening before the server starts, so no client ever waits for it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@dataclass
class Served:
    fortnox: FortnoxSandbox
    upsales: UpsalesSandbox
    tenant_id: int
    fortnox_origin: str
    upsales_origin: str


@pytest.fixture
def served() -> Iterator[Served]:
    """Both sandboxes on free ports, served by uvicorn in a thread of their own."""
    defaults = Settings()
    fortnox = create_fortnox_sandbox(
        FortnoxSandboxConfig(
            client_id=defaults.fortnox_client_id,
            client_secret=defaults.fortnox_client_secret.get_secret_value(),
            rate_limit=RateLimit(requests=10_000, window_seconds=5.0),
        )
    )
    upsales = create_upsales_sandbox(UpsalesSandboxConfig(rate_limit_requests=100_000))
    tenant_id = fortnox.default_tenant_id
    assert tenant_id is not None
    sockets = {"fortnox": _listening_socket(), "upsales": _listening_socket()}
    servers = [
        (
            uvicorn.Server(
                uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
            ),
            sockets[name],
        )
        for name, app in (("fortnox", fortnox.app), ("upsales", upsales.app))
    ]

    async def serve_both() -> None:
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))

    thread = threading.Thread(target=asyncio.run, args=(serve_both(),), daemon=True)
    thread.start()
    origins = {name: f"http://127.0.0.1:{sock.getsockname()[1]}" for name, sock in sockets.items()}
    try:
        yield Served(fortnox, upsales, tenant_id, origins["fortnox"], origins["upsales"])
    finally:
        for server, _ in servers:
            server.should_exit = True
        thread.join(timeout=10)
        for sock in sockets.values():
            sock.close()


@pytest.fixture
def installation_id(served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> uuid.UUID:
    """An active installation (as the e2e harness makes one) and the environment the CLI reads."""
    database_url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    environment = {
        "DATABASE_URL": database_url,
        "FORTNOX_API_BASE_URL": f"{served.fortnox_origin}/3",
        "FORTNOX_AUTH_BASE_URL": f"{served.fortnox_origin}/oauth-v1",
        "UPSALES_API_BASE_URL": f"{served.upsales_origin}/api/v2",
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "FORTNOX_RATE_LIMIT": "10000",
        "UPSALES_RATE_LIMIT": "100000",
        "WORKER_POLL_SECONDS": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # the commands configure the root logger; put it back afterwards
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)

    demo = seed_demo_upsales(served.upsales)
    served.fortnox.seed(
        served.tenant_id,
        customers=[
            {"CustomerNumber": "1", "Name": "Nordisk Verkstad", "OrganisationNumber": "5566778899"},
            {"CustomerNumber": "2", "Name": "Delta Data AB", "OrganisationNumber": "556111-2222"},
        ],
        articles=[
            {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
            {"ArticleNumber": "NY-1", "Description": "Ny tjänst"},
        ],
        invoices=[
            {
                "CustomerNumber": "2",
                "InvoiceDate": "2026-10-01",
                "InvoiceRows": [{"ArticleNumber": "NY-1", "DeliveredQuantity": 4, "Price": 250}],
            }
        ],
    )

    async def set_up() -> uuid.UUID:
        await create_schema(database_url)
        services = build_services(Settings())
        try:
            return await _active_installation(
                services,
                served.fortnox,
                served.tenant_id,
                demo,
                SyncType.INVOICE,
                ProductBundleMode.ONLY_BUNDLE,
            )
        finally:
            await services.aclose()

    return asyncio.run(set_up())


def _counts(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        phase["phase"]: {k: v for k, v in phase["counts"].items() if v}
        for phase in report["phases"]
    }


def test_preview_prints_what_would_happen_and_writes_nothing(
    served: Served, installation_id: uuid.UUID
) -> None:
    accounts_before = len(served.upsales.list_entities(1, "accounts"))

    result = CliRunner().invoke(cli, ["preview", str(installation_id)])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["installation_id"] == str(installation_id)
    assert report["sync_type"] == "invoice"
    assert [p["phase"] for p in report["phases"]] == ["customers", "articles", "invoices"]
    assert _counts(report) == {
        # the matched company and product are linked, and fields of theirs filled in
        "customers": {"updated": 1, "created": 1},
        "articles": {"updated": 1, "created": 1},
        "invoices": {"created": 1},
    }
    assert [p["total"] for p in report["phases"]] == [2, 2, 1]
    assert report["ambiguous"] == []
    assert len(served.upsales.list_entities(1, "accounts")) == accounts_before


def test_initial_sync_with_run_imports_and_reports_done(
    served: Served, installation_id: uuid.UUID
) -> None:
    accounts_before = len(served.upsales.list_entities(1, "accounts"))

    result = CliRunner().invoke(
        cli, ["initial-sync", str(installation_id), "--run", "--poll-seconds", "0.05"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "done" and report["attempts"] == 1 and report["last_error"] is None
    assert [(p["phase"], p["state"], p["done"], p["total"]) for p in report["phases"]] == [
        ("customers", "done", 2, 2),
        ("articles", "done", 2, 2),
        ("invoices", "done", 1, 1),
    ]
    assert all(p["eta_seconds"] == 0.0 for p in report["phases"])
    assert all(p["rate_per_second"] > 0 for p in report["phases"])
    assert _counts(report) == {  # as the preview said
        "customers": {"updated": 1, "created": 1},
        "articles": {"updated": 1, "created": 1},
        "invoices": {"created": 1},
    }
    # the import happened in Upsales: the new customer is a company, its invoice an order
    accounts = served.upsales.list_entities(1, "accounts")
    assert len(accounts) == accounts_before + 1
    assert any(a["name"] == "Delta Data AB" for a in accounts)
    assert "started initial sync job" in result.stderr

    again = CliRunner().invoke(cli, ["initial-sync", str(installation_id), "--run"])
    assert again.exit_code == 0, again.output  # a finished sync starts afresh, changing nothing
    assert len(served.upsales.list_entities(1, "accounts")) == accounts_before + 1


_MAIN = "from upsales_fortnox.cli.commands import main; main()"


def test_an_unknown_installation_exits_with_the_reason(installation_id: uuid.UUID) -> None:
    unknown = uuid.uuid4()
    result = subprocess.run(
        [sys.executable, "-c", _MAIN, "initial-sync", str(unknown)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(unknown) in lines[0]
    assert "not_found" in lines[0] or "not found" in lines[0].lower()
