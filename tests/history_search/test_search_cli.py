"""``upsales-fortnox search``: the operator's search from a shell, as lines or as the API's
JSON, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from click.testing import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from tests.history_search.support import seed
from upsales_fortnox.cli.commands import cli
from upsales_fortnox.cli.errors import describe


@pytest.fixture(autouse=True)
def _database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


async def _run(*args: str) -> Result:
    """The command in a thread of its own (it runs its own event loop). The command sets up
    the process's logging, its handler writing to the runner's stream, closed once it returns:
    the root logger gets its handlers back, so no later test logs through that handler."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return await asyncio.to_thread(CliRunner().invoke, cli, ["search", *args])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


async def test_a_name_leads_to_the_installation_its_link_and_jobs(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await seed(session_factory)
    found = await _run("nordisk")
    assert found.exit_code == 0, found.output
    assert found.output.splitlines()[0].split("\t")[:4] == [
        "installation",
        seeded.nordisk,
        "Nordisk Verkstad AB",
        "pending_login",
    ]
    lines = (await _run("ångström")).output.splitlines()
    assert lines[0].split("\t")[1:] == [
        seeded.nordisk,
        "Nordisk Verkstad AB",
        "company",
        "upsales:42",
        "fortnox:customer:17",
        "Ångström Svets AB",
    ]
    assert lines[1].startswith(f"  job\t{seeded.company_job}\t")
    assert (await _run("Ingen Sådan AB")).output == "nothing matches 'Ingen Sådan AB'\n"


async def test_json_is_the_apis_answer(session_factory: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(session_factory)
    found = await _run("9001", "--json")
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert set(answer) == {"query", "installations", "more_installations", "links", "more_links"}
    [link] = answer["links"]
    assert [job["id"] for job in link["recent_jobs"]] == [seeded.invoice_job]


@pytest.mark.parametrize("args", [["x"], ["a\tb"], ["ab", "--limit", "0"]])
async def test_a_name_it_cannot_search_by_is_a_usage_error(args: list[str]) -> None:
    refused = await _run(*args)
    if isinstance(refused.exception, SystemExit):  # refused by the option's own bounds
        assert refused.exit_code == 2, refused.output
    else:  # what main() prints, and its exit code
        line, code = describe(refused.exception, None)
        assert code == 2 and "NAME" in line, line
