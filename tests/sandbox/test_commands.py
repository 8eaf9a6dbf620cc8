"""The sandboxes' own commands, run as a user runs them (a subprocess): upsales-fortnox-sandbox
serves both APIs, and both it and upsales-fortnox-demo fail with one line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

COMMANDS = {
    "upsales-fortnox-sandbox": "from ufs_sandboxes.serve import main; main()",
    "upsales-fortnox-demo": "from ufs_sandboxes.demo.cli import main; main()",
}


def _command(name: str, *args: str) -> list[str]:
    return [sys.executable, "-c", COMMANDS[name], *args]


def _run(
    name: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(name, *args),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_is_plain_and_a_bad_option_is_one_line(name: str) -> None:
    helped = _run(name, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--fortnox-port PORT" in helped.stdout and "--upsales-port PORT" in helped.stdout
    assert "``" not in helped.stdout and ":class:" not in helped.stdout
    for label in ("TEXT", "INTEGER", "FLOAT", "BOOLEAN"):
        assert not re.search(rf"\b{label}\b", helped.stdout), helped.stdout
    assert "--fortnox-port" in _one_line_error(_run(name, "--fortnox-port", "x"), 2)


def test_the_demo_reports_bad_settings_in_one_line() -> None:
    result = _run("upsales-fortnox-demo", "--no-stay", env={"METRICS_ENABLED": "maybe"})
    assert "METRICS_ENABLED" in _one_line_error(result, 2)


def test_the_sandbox_command_serves_both_apis() -> None:
    fortnox_port, upsales_port = _free_port(), _free_port()
    process = subprocess.Popen(
        _command(
            "upsales-fortnox-sandbox",
            "--fortnox-port",
            str(fortnox_port),
            "--upsales-port",
            str(upsales_port),
        ),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(10))
        assert f"http://127.0.0.1:{fortnox_port}/3" in banner, banner
        found = re.search(r"API key: (\S+)", banner)
        assert found is not None, banner
        upsales = f"http://127.0.0.1:{upsales_port}/api/v2/self"
        deadline = time.monotonic() + 30
        while True:
            try:
                fortnox_admin = httpx.get(f"http://127.0.0.1:{fortnox_port}/_sandbox")
                me = httpx.get(upsales, params={"token": found[1]})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandboxes did not start"
                time.sleep(0.1)
        assert fortnox_admin.status_code == 200
        assert me.status_code == 200 and me.json()["errors"] is None
    finally:
        process.terminate()
        process.wait(timeout=30)
