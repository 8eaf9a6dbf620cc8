"""A blank Fortnox client stops only what calls Fortnox: the API, the worker and the commands
that reach Fortnox refuse it naming the variable; ``migrate`` and the operator tools that only
read or edit the database run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import assert_one_line_error, run_cli

INSTALLATION = "3f1e2d3c-0000-4000-8000-000000000000"


@pytest.mark.parametrize("variable", ["FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET"])
def test_commands_that_never_call_fortnox_run_with_a_blank_client(
    tmp_path: Path, variable: str
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'blank.sqlite3'}", variable: ""}
    migrated = run_cli("migrate", cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    for command in (["installations", "list"], ["jobs", "list"], ["jobs", "retry-dead"]):
        result = run_cli(*command, cwd=tmp_path, env=env)
        assert result.returncode == 0, (command, result.stderr)


@pytest.mark.parametrize("variable", ["FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET"])
@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["worker"],
        ["preview", INSTALLATION],
        ["initial-sync", INSTALLATION],
        ["reconciliation", INSTALLATION, "--from", "2026-01-01", "--to", "2026-01-31"],
        ["installations", "upsales-config"],
    ],
)
def test_what_calls_fortnox_refuses_a_blank_client_naming_it(
    tmp_path: Path, variable: str, command: list[str]
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'blank.sqlite3'}", variable: "  "}
    line = assert_one_line_error(run_cli(*command, cwd=tmp_path, env=env), 2)
    assert variable in line and "must not be empty" in line
