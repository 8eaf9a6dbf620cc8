"""The command line run as a user runs it (a subprocess): one-line errors, exit codes, help."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from upsales_fortnox import __version__
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

REAL_VALUES = {
    "SECRET_KEY": "a-real-secret-key-0123456789",
    "ADMIN_TOKEN": "a-real-operator-token-123",
    "FORTNOX_API_BASE_URL": "https://api.fortnox.se/3",
    "FORTNOX_AUTH_BASE_URL": "https://apps.fortnox.se/oauth-v1",
    "FORTNOX_WS_URL": "wss://ws.fortnox.se/topics-v1",
    "UPSALES_API_BASE_URL": "https://integration.upsales.com/api/v2",
    "PUBLIC_BASE_URL": "https://sync.example.com",
    "FORTNOX_CLIENT_ID": "real-client-id",
    "FORTNOX_CLIENT_SECRET": "real-client-secret",
}


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in REAL_VALUES and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-c", "from upsales_fortnox.cli.commands import main; main()", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_version(workdir: Path) -> None:
    result = run_cli("--version", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.strip() == f"upsales-fortnox {__version__}"


def test_an_invalid_variable_is_one_line_naming_it(workdir: Path) -> None:
    result = run_cli("migrate", cwd=workdir, env={"SECRET_KEY": "short"})
    assert "SECRET_KEY" in assert_one_line_error(result, 2)


def test_an_unknown_option_is_a_usage_error(workdir: Path) -> None:
    result = run_cli("--bogus", cwd=workdir)
    assert "--bogus" in assert_one_line_error(result, 2)


def test_a_bad_id_and_a_missing_schema_are_one_line_each(workdir: Path) -> None:
    bad_id = run_cli("preview", "not-an-id", cwd=workdir)
    assert "not an installation id" in assert_one_line_error(bad_id, 2)

    no_schema = run_cli("preview", "3f1e2d3c-0000-4000-8000-000000000000", cwd=workdir)
    line = assert_one_line_error(no_schema, 1)
    assert "upsales-fortnox migrate" in line and "DATABASE_URL" in line


def test_debug_shows_the_traceback(workdir: Path) -> None:
    result = run_cli("--debug", "preview", "3f1e2d3c-0000-4000-8000-000000000000", cwd=workdir)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def test_installations_are_created_and_listed_and_unknown_ones_are_one_line(
    workdir: Path,
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'cli.sqlite3'}"}
    assert run_cli("migrate", cwd=workdir, env=env).returncode == 0
    assert "no installations yet" in run_cli("installations", "list", cwd=workdir, env=env).stdout

    created = run_cli(
        "installations", "create", "Kund AB", "--upsales-customer-id", "77", cwd=workdir, env=env
    )
    assert created.returncode == 0, created.stderr
    found = re.search(r"installation ([0-9a-f-]{36}) created", created.stdout)
    assert found is not None
    assert f"/activate/{found[1]}/fortnox?token=" in created.stdout

    listed = run_cli("installations", "list", cwd=workdir, env=env)
    assert listed.returncode == 0
    assert found[1] in listed.stdout and "Kund AB" in listed.stdout
    assert "pending_login" in listed.stdout

    twice = run_cli(
        "installations", "create", "Annan AB", "--upsales-customer-id", "77", cwd=workdir, env=env
    )
    assert "77" in assert_one_line_error(twice, 1)
    unknown = run_cli("preview", "3f1e2d3c-0000-4000-8000-000000000000", cwd=workdir, env=env)
    assert "3f1e2d3c-0000-4000-8000-000000000000" in assert_one_line_error(unknown, 1)


def test_the_installation_list_names_every_installation(workdir: Path) -> None:
    """Operators run the service for many customers: past a thousand, the list goes on."""
    url = f"sqlite:///{workdir / 'cli.sqlite3'}"
    assert run_cli("migrate", cwd=workdir, env={"DATABASE_URL": url}).returncode == 0
    names = {f"Kund {number:04d} AB" for number in range(1, 1202)}

    async def add() -> None:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                session.add_all(Installation(name=name) for name in names)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(add())
    listed = run_cli("installations", "list", cwd=workdir, env={"DATABASE_URL": url})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == len(names)
    assert {line.split("  ")[-1] for line in lines} == names


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["Kund AB", "--webhook-secret", "kort-1"], "--webhook-secret"),
        (["Kund AB", "--webhook-secret", "a secret with spaces in it"], "--webhook-secret"),
        (["Kund AB", "--upsales-api-token", "key with space"], "--upsales-api-token"),
        (["Kund AB", "--upsales-customer-id", "0"], "--upsales-customer-id"),
        (["Kund AB", "--upsales-customer-id", "2147483648"], "--upsales-customer-id"),
        ([""], "NAME"),
        (["Kund\nAB"], "NAME"),
    ],
)
def test_an_installation_the_api_would_refuse_is_not_created_from_the_command_line(
    workdir: Path, args: list[str], named: str
) -> None:
    """The command creates what `POST /api/installations` would, by the same rules: a webhook
    secret too short to keep trigger requests out is refused, not stored."""
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'cli.sqlite3'}"}
    assert run_cli("migrate", cwd=workdir, env=env).returncode == 0

    refused = run_cli("installations", "create", *args, cwd=workdir, env=env)

    line = assert_one_line_error(refused, 2)
    assert named in line
    assert not any(secret in line for secret in ("kort-1", "secret with", "key with"))
    listed = run_cli("installations", "list", cwd=workdir, env=env)
    assert "no installations yet" in listed.stdout


def test_a_reconciliation_period_the_api_refuses_is_a_usage_error(workdir: Path) -> None:
    """The report of the command line is the API's, with its limit: at most 366 days."""
    result = run_cli(
        "reconciliation",
        "3f1e2d3c-0000-4000-8000-000000000000",
        "--from",
        "2020-01-01",
        "--to",
        "2024-12-31",
        cwd=workdir,
    )
    assert "366 days" in assert_one_line_error(result, 2)


def test_a_login_link_lifetime_past_the_calendar_is_a_usage_error(workdir: Path) -> None:
    installation = "3f1e2d3c-0000-4000-8000-000000000000"
    for days in ("99999999", "99999999999999999999"):
        result = run_cli(
            "installations", "upsales-config", installation, "--login-valid-days", days, cwd=workdir
        )
        assert "--login-valid-days" in assert_one_line_error(result, 2)


def test_help_has_no_markup_or_type_labels(workdir: Path) -> None:
    commands = [[], ["serve"], ["worker"], ["migrate"], ["preview"]]
    commands += [["initial-sync"], ["installations", "create"], ["installations", "list"]]
    for command in [*commands, ["installations", "upsales-config"]]:
        result = run_cli(*command, "--help", cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert "``" not in result.stdout and ":class:" not in result.stdout
        for label in ("TEXT", "INTEGER", "FLOAT", "UUID", "BOOLEAN"):
            assert not re.search(rf"\b{label}\b", result.stdout), (command, result.stdout)


def test_serving_beyond_loopback_needs_real_secrets(workdir: Path) -> None:
    env = {"ADMIN_TOKEN": REAL_VALUES["ADMIN_TOKEN"]}
    result = run_cli("serve", "--host", "0.0.0.0", cwd=workdir, env=env)
    line = assert_one_line_error(result, 2)
    assert "SECRET_KEY" in line and "ADMIN_TOKEN" not in line


@pytest.mark.parametrize(
    "left_local",
    ["FORTNOX_API_BASE_URL", "UPSALES_API_BASE_URL", "PUBLIC_BASE_URL", "FORTNOX_CLIENT_ID"],
)
def test_serving_beyond_loopback_refuses_each_sandbox_value(workdir: Path, left_local: str) -> None:
    env = {name: value for name, value in REAL_VALUES.items() if name != left_local}
    result = run_cli("serve", "--host", "0.0.0.0", cwd=workdir, env=env)
    line = assert_one_line_error(result, 2)
    assert left_local in line and "--allow-sandbox" in line
    others = set(REAL_VALUES) - {left_local, "FORTNOX_CLIENT_SECRET"}
    assert not any(name in line for name in others)


def test_serve_finds_its_port_taken_in_one_line(workdir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"DATABASE_URL": f"sqlite:///{workdir / 'serve.sqlite3'}"}
        result = run_cli("serve", "--port", str(port), cwd=workdir, env=env)
    line = assert_one_line_error(result, 1)
    assert f"port {port}" in line and "in use" in line


@pytest.mark.parametrize(
    ("option", "value"), [("--port", "70000"), ("--port", "0"), ("--host", "no-such-host.invalid")]
)
def test_serve_on_a_port_or_host_it_cannot_listen_on_is_a_usage_error(
    workdir: Path, option: str, value: str
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'serve.sqlite3'}", **REAL_VALUES}
    result = run_cli("serve", option, value, "--allow-sandbox", cwd=workdir, env=env)
    line = assert_one_line_error(result, 2)
    assert option in line and "Error" not in line.split(":", 1)[0], line


def test_the_printed_app_configuration_has_a_login_link_for_a_year(workdir: Path) -> None:
    import json
    import time

    env = {"DATABASE_URL": f"sqlite:///{workdir / 'cli.sqlite3'}"}
    assert run_cli("migrate", cwd=workdir, env=env).returncode == 0
    created = run_cli("installations", "create", "Kund AB", cwd=workdir, env=env)
    found = re.search(r"installation ([0-9a-f-]{36}) created", created.stdout)
    assert found is not None, created.stderr
    installation = found[1]
    printed = run_cli("installations", "upsales-config", installation, cwd=workdir, env=env)
    assert printed.returncode == 0, printed.stderr
    config = json.loads(printed.stdout)
    login = config["configJson"]["fields"]["account"][0]
    found = re.search(r"token=v1\.(\d+)\.", login["endpoint"])
    assert found is not None and f"/activate/{installation}/fortnox?" in login["endpoint"]
    assert int(found[1]) - time.time() > 364 * 86400

    short = run_cli(
        "installations", "upsales-config", installation, "--login-valid-days", "2",
        cwd=workdir, env=env,
    )  # fmt: skip
    expiry = re.search(r"token=v1\.(\d+)\.", short.stdout)
    assert expiry is not None and int(expiry[1]) - time.time() < 2 * 86400 + 60


def test_a_database_that_does_not_answer_is_one_line_with_a_stable_code(workdir: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:{port}/test"
    for command in (("jobs", "list"), ("installations", "list"), ("migrate",)):
        result = run_cli(*command, cwd=workdir, env={"DATABASE_URL": url})
        line = assert_one_line_error(result, 1)
        assert line.startswith("error: database_unavailable: "), line
        assert f"127.0.0.1:{port}/test" in line and "DATABASE_URL" in line
        assert "s3cret-pw" not in result.stderr


def test_an_installation_is_edited_from_the_command_line(workdir: Path) -> None:
    """A new Upsales key saved from a shell puts the jobs Upsales refused back on the queue, as
    the API's edit does; a refused change is one line and changes nothing."""
    url = f"sqlite:///{workdir / 'cli.sqlite3'}"
    env = {"DATABASE_URL": url}
    assert run_cli("migrate", cwd=workdir, env=env).returncode == 0
    created = run_cli("installations", "create", "Kund AB", cwd=workdir, env=env)
    found = re.search(r"installation ([0-9a-f-]{36}) created", created.stdout)
    assert found is not None
    installation_id = found[1]

    async def add_refused_job() -> int:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                job = SyncJob(
                    installation_id=uuid.UUID(installation_id),
                    kind="upsales.order",
                    entity_id="7",
                    status=JobStatus.DEAD.value,
                    last_error="upsales_unauthorized: Upsales GET /orders/{id} answered 401",
                )
                session.add(job)
                await session.commit()
                return job.id
        finally:
            await engine.dispose()

    async def read(job_id: int) -> tuple[Installation, SyncJob]:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                installation = await session.get(Installation, uuid.UUID(installation_id))
                job = await session.get(SyncJob, job_id)
                assert installation is not None and job is not None
                return installation, job
        finally:
            await engine.dispose()

    job_id = asyncio.run(add_refused_job())
    edited = run_cli(
        "installations", "edit", installation_id, "--name", "Nytt Namn AB",
        "--upsales-api-token", "a-new-upsales-key-4711", cwd=workdir, env=env,
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    assert "Nytt Namn AB" in edited.stdout
    assert "edited (--name, --upsales-api-token)" in edited.stdout
    assert "a-new-upsales-key-4711" not in edited.stdout + edited.stderr
    installation, job = asyncio.run(read(job_id))
    assert installation.name == "Nytt Namn AB"
    assert installation.upsales_api_token_enc is not None
    assert job.status == JobStatus.QUEUED

    refused = run_cli(
        "installations", "edit", installation_id, "--status", "active", cwd=workdir, env=env
    )
    assert "active" in assert_one_line_error(refused, 1)
    nothing = run_cli("installations", "edit", installation_id, cwd=workdir, env=env)
    assert "nothing to change" in assert_one_line_error(nothing, 2)
    bad = run_cli(
        "installations", "edit", installation_id, "--status", "gone", cwd=workdir, env=env
    )
    assert "--status" in assert_one_line_error(bad, 2)
    blank = run_cli("installations", "edit", installation_id, "--name", " ", cwd=workdir, env=env)
    assert "--name" in assert_one_line_error(blank, 2)
    assert asyncio.run(read(job_id))[0].status == "pending_login"
