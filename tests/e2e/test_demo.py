"""The demo over real sockets: a won deal becomes an invoice, a Fortnox customer a company."""

from __future__ import annotations

import socket
from pathlib import Path

from ufs_sandboxes.demo.console import DemoPorts
from ufs_sandboxes.demo.run import run_demo
from upsales_fortnox.core.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_demo_syncs_both_ways(tmp_path: Path) -> None:
    said: list[str] = []
    ports = DemoPorts(service=_free_port(), fortnox=_free_port(), upsales=_free_port())
    outcome = await run_demo(
        Settings(), ports, database=tmp_path / "demo.sqlite3", stay=False, say=said.append
    )
    assert outcome.fortnox_invoice_total == outcome.upsales_order_value > 0
    assert outcome.fortnox_invoice_number and outcome.upsales_company_id > 0
    assert any(f"invoice {outcome.fortnox_invoice_number}" in line for line in said)
    assert any("curl" in line for line in said)
