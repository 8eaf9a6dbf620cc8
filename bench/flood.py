"""A flood of webhooks, many times the intake's capacity, over many connections: back-pressure.

Runs the service under uvicorn (one worker process) on PostgreSQL (``DATABASE_URL``, or a scratch
database on 127.0.0.1:5432, dropped afterwards), loopback only. First the intake's capacity (64
connections, each waiting for its answer); then a flood at ``--factor`` times that rate over
``--connections`` connections (a request's latency counts from when it was due, so waiting for a
connection is not hidden), twice: with the intake's in-flight limit (``WEBHOOK_MAX_IN_FLIGHT``,
``--limit``) and with the limit lifted (larger than the number of connections). Each app hook
carries a padded order (``--pad`` bytes) so that held bodies show in the server's memory. It
samples the server's resident memory during each flood and checks that every hook answered 2xx
is committed.

    PYTHONPATH=src python -m bench.flood [--quick]

The last line printed is one JSON object: limit, peak_rss_mb, p99_accepted_ms, refused_share,
accepted, refused, missing, and the same figures of the run without a limit (``unlimited_*``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.common import LoadResult, database, run_load, uvicorn_server
from bench.intake import (
    SECRET_KEY,
    api_key,
    count_missing,
    prepare,
    requests_for,
    stored_events,
)

try:
    import uvloop

    _run = uvloop.run
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
    _run = asyncio.run


def padded_hooks(count: int, offset: int, pad: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "after_order_update",
            "apiKey": api_key(0),  # one installation's flood
            "data": {
                "object": {
                    "id": offset + index + 1,
                    "description": f"Order {offset + index + 1}",
                    "notes": "x" * pad,
                }
            },
        }
        for index in range(count)
    ]


class PeakMemory:
    """Samples a process's resident memory every few milliseconds in a thread."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self.start = self.peak
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def accepted_p99_ms(load: LoadResult) -> float:
    ordered = sorted(
        latency
        for latency, status in zip(load.latencies, load.statuses, strict=True)
        if 200 <= status < 300
    )
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))] * 1000


def flood(
    database_url: str,
    limit: int,
    requests: int,
    connections: int,
    pad: int,
    offset: int,
    rate: float | None,
) -> dict[str, Any]:
    installation_id = _run(prepare(database_url))[0]
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "WEBHOOK_MAX_IN_FLIGHT": str(limit),
    }
    paths = {api_key(0): f"/webhooks/upsales/{installation_id}"}
    bodies = padded_hooks(requests, offset, pad)
    warm = padded_hooks(200, offset + 10_000_000, pad)
    with uvicorn_server("bench.common:service_app", env) as server:
        _run(run_load(server.port, requests_for(warm, paths, server.port), 16))
        load_requests = requests_for(bodies, paths, server.port)
        with PeakMemory(server.process.pid) as memory:
            load = _run(run_load(server.port, load_requests, connections, rate=rate))
    stored = _run(stored_events(database_url, [installation_id]))
    accepted = sum(1 for status in load.statuses if 200 <= status < 300)
    refused = sum(1 for status in load.statuses if status == 503)
    return {
        "limit": limit,
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "rss_growth_mb": round((memory.peak - memory.start) / 2**20, 1),
        "p99_accepted_ms": round(accepted_p99_ms(load), 1),
        "refused_share": round(refused / len(load.statuses), 3),
        "accepted": accepted,
        "refused": refused,
        "other": len(load.statuses) - accepted - refused,
        "connection_errors": load.connection_errors,
        "missing": count_missing(bodies, load, stored),
        "rps": round(load.rps, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a shorter flood (< 1 minute)")
    parser.add_argument("--limit", type=int, default=64, help="WEBHOOK_MAX_IN_FLIGHT")
    parser.add_argument("--connections", type=int, default=400, help="concurrent connections")
    parser.add_argument("--pad", type=int, default=32_768, help="bytes of padding per hook")
    parser.add_argument("--factor", type=float, default=4.0, help="flood rate / capacity")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 15.0
    lifted = args.connections * 10

    with database(os.environ.get("DATABASE_URL")) as database_url:
        # Capacity: what the intake takes when every connection waits for its answer.
        capacity = flood(database_url, lifted, 1_000, 64, args.pad, 90_000_000, None)["rps"]
        rate = capacity * args.factor
        requests = int(rate * seconds)
        limited = flood(database_url, args.limit, requests, args.connections, args.pad, 0, rate)
        unlimited = flood(
            database_url, lifted, requests, args.connections, args.pad, 50_000_000, rate
        )

    for name, run in (("limit " + str(args.limit), limited), ("no limit", unlimited)):
        print(
            f"{name}: peak RSS {run['peak_rss_mb']} MB, p99 of accepted"
            f" {run['p99_accepted_ms']} ms, refused {run['refused_share']:.1%},"
            f" accepted {run['accepted']}, missing {run['missing']}"
        )
    figures = {
        **limited,
        "capacity_rps": capacity,
        "flood_rps": round(rate, 1),
        "connections": args.connections,
        "requests": requests,
        "pad_bytes": args.pad,
        **{f"unlimited_{key}": value for key, value in unlimited.items() if key != "limit"},
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
