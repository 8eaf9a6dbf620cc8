"""Two processes write metrics; a scrape in a third adds them up (``PROMETHEUS_MULTIPROC_DIR``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ops.metrics_support import parse_samples, value

ROOT = Path(__file__).resolve().parents[2]


def _run(directory: Path, *arguments: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ops.metrics_writer", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_writing_processes_are_added_up_in_a_scrape(tmp_path: Path) -> None:
    writers = [_run(tmp_path, "3"), _run(tmp_path, "4")]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process
    reader = _run(tmp_path, "--read")
    output, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    samples = parse_samples(output)
    webhooks = "upsales_fortnox_webhooks_total"
    assert value(samples, webhooks, source="upsales", outcome="accepted") == 7
    assert value(samples, "upsales_fortnox_webhook_seconds_count", source="upsales") == 7
    assert value(samples, "upsales_fortnox_jobs_total", kind="upsales.order", outcome="done") == 7
    requests = "upsales_fortnox_api_requests_total"
    assert value(samples, requests, system="fortnox", status="429") == 2
