"""A serving process (a worker process's background tasks, or the API's lifespan) starts with
its startup objects frozen and its young generation collected less often (core/heap.py).

Each case runs in a process of its own: the collector's settings are the process's, and this
test process has long had them set by other tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from upsales_fortnox.core.heap import YOUNG_OBJECTS_PER_COLLECTION

_PRELUDE = """
import asyncio, gc, json, sys
from types import SimpleNamespace

from tests.database import create_schema
from upsales_fortnox.core.db.engine import create_engine

url = sys.argv[1]
asyncio.run(create_schema(url))
before = (gc.get_freeze_count(), gc.get_threshold()[0])
"""

_WORKER_PROCESS = (
    _PRELUDE
    + """
from upsales_fortnox.background import run_background

seen = []

async def task(_services, stop):
    seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
    stop.set()

async def main():
    engine = create_engine(url)
    try:
        await run_background(SimpleNamespace(engine=engine), asyncio.Event(), [task])
    finally:
        await engine.dispose()

asyncio.run(main())
print(json.dumps({"before": before, "serving": seen[0]}))
"""
)

_API_PROCESS = (
    _PRELUDE
    + """
from pydantic import SecretStr

from upsales_fortnox.core.config import Settings
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services

async def main():
    settings = Settings(
        database_url=url,
        admin_token=SecretStr("admin-token-0123456789abcdef0123"),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )
    services = build_services(settings)
    app = create_app(services=services, background=[])
    try:
        async with app.router.lifespan_context(app):
            return (gc.get_freeze_count(), gc.get_threshold()[0])
    finally:
        await services.aclose()

print(json.dumps({"before": before, "serving": asyncio.run(main())}))
"""
)


@pytest.mark.parametrize("script", [_WORKER_PROCESS, _API_PROCESS], ids=["worker", "api"])
def test_a_serving_process_freezes_its_startup_objects_and_collects_young_ones_less_often(
    script: str, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{tmp_path / 'heap.sqlite3'}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["before"] == [0, 700]  # Python's own settings until then
    frozen, young_threshold = figures["serving"]
    assert frozen > 10_000  # modules, classes, the metadata: all alive at start
    assert young_threshold == YOUNG_OBJECTS_PER_COLLECTION
