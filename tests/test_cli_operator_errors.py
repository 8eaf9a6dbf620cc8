"""The command line an operator runs for many customers: every command that names an
installation, and every database the operator may point it at by mistake, fails in one line
that starts with a stable code, at once, never with a traceback or a hang."""

from __future__ import annotations

import json
import re
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.database import POSTGRES_ADMIN_URL, POSTGRES_ENABLED
from tests.test_cli import assert_one_line_error, run_cli

UNKNOWN = "3f1e2d3c-0000-4000-8000-000000000000"
PERIOD = ("--from", "2026-01-01", "--to", "2026-01-31")
COMMANDS_NAMING_AN_INSTALLATION = [
    ("preview", UNKNOWN),
    ("initial-sync", UNKNOWN),
    ("reconciliation", UNKNOWN, *PERIOD),
    ("installations", "edit", UNKNOWN, "--name", "Nytt AB"),
    ("installations", "upsales-config", UNKNOWN),
    # a mistyped id printed no jobs, or "0 dead job(s) match", as for a customer with none
    ("jobs", "list", "--installation", UNKNOWN),
    ("jobs", "retry-dead", "--installation", UNKNOWN),
    ("jobs", "retry-dead", "--installation", UNKNOWN, "--run"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def migrated(tmp_path: Path) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert run_cli("migrate", cwd=tmp_path, env=env).returncode == 0
    return env


@pytest.mark.parametrize("command", COMMANDS_NAMING_AN_INSTALLATION, ids=" ".join)
def test_an_unknown_installation_is_installation_not_found(
    tmp_path: Path, migrated: dict[str, str], command: tuple[str, ...]
) -> None:
    result = run_cli(*command, cwd=tmp_path, env=migrated)
    line = assert_one_line_error(result, 1)
    assert line.startswith("error: installation_not_found: "), line
    assert UNKNOWN in line
    assert result.stdout == ""  # no configuration, no login link, for an id that is no one's


def test_a_second_installation_for_a_customer_id_is_one_line_with_a_code(
    tmp_path: Path, migrated: dict[str, str]
) -> None:
    create = ("installations", "create", "Kund AB", "--upsales-customer-id", "77")
    assert run_cli(*create, cwd=tmp_path, env=migrated).returncode == 0
    line = assert_one_line_error(run_cli(*create, cwd=tmp_path, env=migrated), 1)
    assert line.startswith("error: conflict: ") and "77" in line


@pytest.mark.parametrize(
    "command",
    [*COMMANDS_NAMING_AN_INSTALLATION[:4], ("jobs", "retry", "1"), ("jobs", "retry-dead")],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_database_that_does_not_answer_stops_every_command_in_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """``initial-sync`` waited for the database forever, printing a traceback every few
    seconds; ``reconciliation`` printed one before its error line."""
    url = f"postgresql://postgres:s3cret-pw@127.0.0.1:{_free_port()}/test"
    result = run_cli(*command, cwd=tmp_path, env={"DATABASE_URL": url})
    line = assert_one_line_error(result, 1)
    assert line.startswith("error: database_unavailable: "), line
    assert "s3cret-pw" not in result.stderr


@pytest.mark.skipif(not POSTGRES_ENABLED, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("wrong", ["role", "database"])
def test_a_database_that_refuses_the_login_is_one_line_with_a_stable_code(
    tmp_path: Path, wrong: str
) -> None:
    """A user or database name mistyped in DATABASE_URL was ``error: dbapi: (sqlalchemy…)``."""
    name = f"ufs_missing_{uuid.uuid4().hex[:8]}"
    user, database = (name, "postgres") if wrong == "role" else ("postgres", name)
    url = (
        make_url(POSTGRES_ADMIN_URL)
        .set(username=user, password="s3cret-pw", database=database)
        .render_as_string(hide_password=False)
    )
    for command in (("jobs", "list"), ("installations", "list"), ("migrate",)):
        result = run_cli(*command, cwd=tmp_path, env={"DATABASE_URL": url})
        line = assert_one_line_error(result, 1)
        assert line.startswith("error: database_unavailable: "), line
        assert name in line and "sqlalchemy" not in line
        assert "s3cret-pw" not in result.stderr


def test_a_command_logs_as_log_format_says(tmp_path: Path, migrated: dict[str, str]) -> None:
    """What a command logs on its way (here the Upsales client's retries) follows LOG_FORMAT,
    as the service's lines do, and goes through the same redaction."""
    key = "upsales-key-0123456789abcdef"
    created = run_cli(
        "installations", "create", "Kund AB", "--upsales-api-token", key, cwd=tmp_path, env=migrated
    )
    found = re.search(r"installation ([0-9a-f-]{36}) created", created.stdout)
    assert found is not None, created.stderr
    env = {
        **migrated,
        "LOG_FORMAT": "json",
        "UPSALES_API_BASE_URL": f"http://127.0.0.1:{_free_port()}/api/v2",
    }
    result = run_cli("reconciliation", found[1], *PERIOD, cwd=tmp_path, env=env)
    assert result.returncode == 1
    *logged, last = result.stderr.strip().splitlines()
    assert last.startswith("error: upsales_network_error: "), result.stderr
    assert logged, result.stderr
    for text in logged:
        assert json.loads(text)["level"] in {"warning", "info", "error"}, text
    assert key not in result.stderr


def test_a_job_id_beyond_any_job_is_a_usage_error_not_the_database(
    tmp_path: Path, migrated: dict[str, str]
) -> None:
    """A job id typed with a digit too many named no argument: PostgreSQL's refusal of it read
    ``database_unavailable: … is DATABASE_URL the one you meant?``, SQLite's an OverflowError."""
    result = run_cli("jobs", "retry", "9" * 20, cwd=tmp_path, env=migrated)
    line = assert_one_line_error(result, 2)
    assert "JOB_ID" in line, line
    assert "database" not in line.lower() and "overflow" not in line.lower(), line
