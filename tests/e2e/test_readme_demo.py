"""The README's demo steps, run as written (shell blocks, the demo's printed exports) against a
running demo on free ports: the CLI, a won deal, a Fortnox customer, and a deal that fails
visibly and is repaired by creating its article in Fortnox."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path

from ufs_sandboxes.demo.console import DemoPorts
from ufs_sandboxes.demo.run import run_demo
from upsales_fortnox.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def readme_demo_script(ports: DemoPorts) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The demo", 1)[1].split("\n## ", 1)[0]
    script = "\n".join(SH_BLOCK.findall(section))
    for default, port in ((8080, ports.service), (8091, ports.fortnox), (8092, ports.upsales)):
        script = script.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
    return script


async def _run(script: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_the_readme_demo_steps_work_as_written(tmp_path: Path) -> None:
    ports = DemoPorts(service=_free_port(), fortnox=_free_port(), upsales=_free_port())
    said: list[str] = []
    running = asyncio.Event()

    def say(line: str) -> None:
        said.append(line)
        if line.startswith("Press Ctrl-C"):
            running.set()

    demo = asyncio.create_task(
        run_demo(Settings(), ports, database=tmp_path / "demo.sqlite3", stay=True, say=say)
    )
    try:
        await asyncio.wait_for(running.wait(), 120)
        exports = "\n".join(line.strip() for line in said if line.startswith("    export "))
        assert "export DATABASE_URL=" in exports and "export FORTNOX_TOKEN=" in exports
        steps = readme_demo_script(ports)
        code, out, err = await _run(exports + "\n" + steps)

        assert code == 0, err  # every until_seen saw what the README says it will
        assert "Demo Konsult AB" in out  # installations list
        decoder = json.JSONDecoder()  # curl prints no newline: answers run together
        statuses = [
            decoder.raw_decode(out, found.start())[0]
            for found in re.finditer(r'\{"order_id":', out)
        ]
        assert statuses[0]["status"] == "failed"
        assert "finns inte som artikel i Fortnox" in statuses[0]["message"]
        assert '"status":"dead"' in out and "product_not_in_fortnox" in out
        assert statuses[-1]["status"] == "sent", statuses
        assert statuses[-1]["message"].startswith("Skickad till Fortnox som faktura")
    finally:
        demo.cancel()
        await asyncio.gather(demo, return_exceptions=True)
