"""Two demos at once: the second finds the first's ports or database in use and stops with one
line, before it touches anything (the first demo's database survives)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from ufs_sandboxes.demo.console import DemoPorts
from ufs_sandboxes.demo.run import run_demo
from upsales_fortnox.core.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _second_demo(cwd: Path, ports: DemoPorts) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from ufs_sandboxes.demo.cli import main; main()",
            "--port",
            str(ports.service),
            "--fortnox-port",
            str(ports.fortnox),
            "--upsales-port",
            str(ports.upsales),
        ],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


async def test_a_second_demo_stops_before_touching_the_first(tmp_path: Path) -> None:
    ports = DemoPorts(service=_free_port(), fortnox=_free_port(), upsales=_free_port())
    database = tmp_path / "data" / "demo.sqlite3"
    running = asyncio.Event()

    def say(line: str) -> None:
        if line.startswith("Press Ctrl-C"):
            running.set()

    first = asyncio.create_task(run_demo(Settings(), ports, database=database, stay=True, say=say))
    try:
        await asyncio.wait_for(running.wait(), 120)
        inode = database.stat().st_ino

        same_ports = await asyncio.to_thread(_second_demo, tmp_path, ports)
        line = _one_line(same_ports)
        assert f"service port {ports.service}" in line and "in use" in line

        other_ports = DemoPorts(service=_free_port(), fortnox=_free_port(), upsales=_free_port())
        same_database = await asyncio.to_thread(_second_demo, tmp_path, other_ports)
        assert "demo.sqlite3 is in use" in _one_line(same_database)

        assert database.stat().st_ino == inode  # neither deleted nor made anew
        assert not first.done()
    finally:
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
