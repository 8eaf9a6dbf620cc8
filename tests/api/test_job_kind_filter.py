"""A job kind the service has no jobs of (a typo: ``upsales_order`` for ``upsales.order``) is
refused with the kinds there are, instead of matching nothing: an operator's bulk retry that
says "0 matched" for a typo leaves the dead jobs dead without a word."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.api.operator_support import add_job, create_installation
from upsales_fortnox.cli.commands import cli
from upsales_fortnox.cli.errors import USAGE, describe
from upsales_fortnox.vocabulary import JobKind


async def test_an_unknown_kind_is_refused_by_the_list_and_the_bulk_retry(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], session_factory: object
) -> None:
    listed = await api_client.get(
        "/api/jobs", params={"kind": "upsales_order"}, headers=admin_headers
    )
    assert listed.status_code == 422, listed.text
    assert listed.json()["error"]["code"] == "validation_error"
    assert "upsales.order" in listed.text

    bulk = await api_client.post(
        "/api/jobs/retry-dead", json={"kind": "upsales_order"}, headers=admin_headers
    )
    assert bulk.status_code == 422, bulk.text
    assert bulk.json()["error"]["code"] == "validation_error"


async def test_every_kind_filters(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], session_factory: object
) -> None:
    created = await create_installation(api_client, admin_headers)
    job_id = await add_job(session_factory, created["id"], kind=JobKind.FORTNOX_OFFER.value)  # type: ignore[arg-type]
    for kind in JobKind:
        listed = await api_client.get(
            "/api/jobs", params={"kind": kind.value}, headers=admin_headers
        )
        assert listed.status_code == 200, listed.text
        ids = [item["id"] for item in listed.json()["items"]]
        assert ids == ([job_id] if kind is JobKind.FORTNOX_OFFER else [])
    bulk = await api_client.post(
        "/api/jobs/retry-dead", json={"kind": "fortnox.offer"}, headers=admin_headers
    )
    assert bulk.json()["matched"] == 1


def test_the_command_line_refuses_an_unknown_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    for command in (["jobs", "list"], ["jobs", "retry-dead"]):
        result = CliRunner().invoke(
            cli, [*command, "--kind", "upsales_order"], standalone_mode=False
        )
        assert result.exception is not None, result.output
        line, code = describe(result.exception, None)
        assert code == USAGE and "--kind" in line, line
