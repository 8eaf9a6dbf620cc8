"""Benchmark: won deals scaled out on PostgreSQL, one worker killed with ``kill -9`` mid-run.

200 installations (one Upsales customer and one Fortnox tenant each, company and products
already linked: steady state) served by two API processes (uvicorn, the service app) and two
worker processes (the ``worker`` command), all on one PostgreSQL database. The Fortnox and
Upsales sandboxes run in processes of their own over loopback HTTP, Fortnox at its documented
limit (25 requests per 5 s per tenant). One installation is busy (many deals), the others win
a few each. Each deal reaches the service as an Upsales app hook (the sandbox's own body) posted
over HTTP to one of the API processes. Once ~30 % of the deals are done, the worker serving the
busy installation is killed with SIGKILL and started again.

Figures (the last line printed is one JSON object):

* ``time_ratio``: time from the first hook to the last invoice / the rate-limit bound of the
  busiest tenant: a tenant answered ``C`` calls under ``N`` per ``W`` s needs at least
  ``(ceil(C / N) - 1) * W`` seconds.
* ``cpu_ms_per_deal``: CPU of the four service processes (the killed one's until its death,
  the restarted one's from its first lease: its start is counted apart) over the run / deals
  (the sandboxes and PostgreSQL not counted: ``cpu_seconds`` shows them).
* ``duplicates``: Fortnox documents beyond one per deal; ``lost``: deals without a document.
* ``recovery_seconds``: from the kill until no installation is leased to the dead worker any
  more (another worker took each over).
* ``installations``, ``processes`` (service processes: API + workers), ``deals``, ``seconds``.
* ``busy_installation``: when the busy installation's deals were queued (``queued_s``), first
  started (``started_s``) and done (``done_s``), in seconds from the first hook: the first, each
  ``LIMIT``-th and the last.
* ``deals_waited``: deals whose retry found no document (the killed worker's deals, or any
  whose create failed without an answer), so they waited ``settle_seconds``
  (``FORTNOX_CREATE_SETTLE_SECONDS``) for a create that may still land before creating:
  ``time_ratio`` includes that wait.

``--quick``: the busy installation wins 40 deals, the others 2 each; full: 120 and 5.

    PYTHONPATH=src python -m bench.scale_out [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psutil

from bench.common import (
    REPO_ROOT,
    database,
    http_request,
    run_load,
    uvicorn_server,
)
from bench.sandbox_processes import SandboxProcess, sandbox_processes
from bench.scale_out_setup import (
    LIMIT,
    WINDOW,
    prepare_database,
    serve_fortnox,
    serve_upsales,
    service_env,
)
from upsales_fortnox.integrations.fortnox.facts import CREATE_MAY_LAND_WITHIN_SECONDS
from upsales_fortnox.jobs.store.presence import PRESENCE_LOCK_CLASS

INSTALLATIONS = 200
KILL_AT = 0.3
BOUND_SECONDS = 900.0  # the whole run gives up after this


@dataclass(frozen=True)
class Plan:
    busy_deals: int
    other_deals: int

    def deals(self, index: int) -> int:
        return self.busy_deals if index == 0 else self.other_deals


QUICK = Plan(busy_deals=40, other_deals=2)
FULL = Plan(busy_deals=120, other_deals=5)


_WORKER_COMMAND = "from upsales_fortnox.cli.commands import main; main()"


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    python_path = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER_COMMAND, "worker", "--no-stream"],
        env={**os.environ, **env, "PYTHONPATH": python_path},
        cwd=REPO_ROOT,
    )


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class Watch:
    """Polls the database: jobs done, and whom the installations are leased to."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def done(self) -> int:
        value = await self._connection.fetchval(
            "SELECT count(*) FROM sync_jobs WHERE kind = 'upsales.order' AND status = 'done'"
        )
        return int(value)

    async def unfinished(self) -> int:
        value = await self._connection.fetchval(
            "SELECT count(*) FROM sync_jobs WHERE status IN ('queued', 'running')"
        )
        return int(value)

    async def deals_waited(self) -> int:
        """Deals whose retry found no document and waited before creating it (the settle time
        for an earlier create that may still land)."""
        value = await self._connection.fetchval(
            "SELECT count(DISTINCT job_id) FROM job_attempts WHERE outcome = 'waiting'"
        )
        return int(value)

    async def clock(self) -> Any:
        return await self._connection.fetchval("SELECT clock_timestamp()")

    async def timeline(self, installation_id: str, since: Any) -> dict[str, list[float]]:
        """Seconds from ``since`` at which the installation's won deals were queued, first
        started and done: the first, every window's worth (``LIMIT``) and the last."""
        rows = await self._connection.fetch(
            "SELECT EXTRACT(EPOCH FROM j.created_at - $2) AS queued,"
            " EXTRACT(EPOCH FROM min(a.started_at) - $2) AS started,"
            " EXTRACT(EPOCH FROM j.finished_at - $2) AS done"
            " FROM sync_jobs j LEFT JOIN job_attempts a ON a.job_id = j.id"
            " WHERE j.installation_id = $1 AND j.kind = 'upsales.order'"
            " GROUP BY j.id",
            uuid.UUID(installation_id),
            since,
        )

        def at(column: str) -> list[float]:
            times = sorted(float(row[column]) for row in rows if row[column] is not None)
            picks = sorted({0, *range(LIMIT - 1, len(times), LIMIT), len(times) - 1})
            return [round(times[pick], 2) for pick in picks if 0 <= pick < len(times)]

        return {"queued_s": at("queued"), "started_s": at("started"), "done_s": at("done")}

    async def lease_owner(self, installation_id: str) -> str | None:
        owner = await self._connection.fetchval(
            "SELECT owner FROM installation_leases WHERE installation_id = $1", installation_id
        )
        return str(owner) if owner is not None else None

    async def leases_of(self, owner: str) -> int:
        value = await self._connection.fetchval(
            "SELECT count(*) FROM installation_leases WHERE owner = $1", owner
        )
        return int(value)

    async def presences(self) -> int:
        """Workers connected (holding their presence lock, taken as a worker starts serving)."""
        value = await self._connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid"
            " AND objsubid = 2 AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            PRESENCE_LOCK_CLASS,
        )
        return int(value)

    async def owners(self) -> list[str]:
        rows = await self._connection.fetch("SELECT DISTINCT owner FROM installation_leases")
        return [str(row["owner"]) for row in rows]


def _owner_pid(owner: str) -> int:
    return int(owner.split(":")[1])


async def _drive(
    database_url: str,
    env: dict[str, str],
    api_ports: list[int],
    hooks: list[tuple[str, bytes]],
    busy_installation: str,
    deals: int,
    processes: dict[str, psutil.Process],
    workers: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    watch = Watch(connection)
    cpu_before = {name: _cpu(process) for name, process in processes.items()}
    cpu_of_killed = 0.0
    recovery: float | None = None
    started_on_database = await watch.clock()
    started = time.perf_counter()
    loads = [
        run_load(port, [http_request(path, body, port) for path, body in hooks[i::2]], 16)
        for i, port in enumerate(api_ports)
    ]
    results = await asyncio.gather(*loads)
    rejected = sum(1 for result in results for ok in result.ok if not ok)
    killed = False
    replacement: str | None = None
    restart_cpu = 0.0
    while True:
        if time.perf_counter() - started > BOUND_SECONDS:
            raise RuntimeError("the deals were not all done in time")
        done = await watch.done()
        if not killed and done >= KILL_AT * deals:
            owner = await watch.lease_owner(busy_installation) or (await watch.owners() or [""])[0]
            if owner:
                victim_pid = _owner_pid(owner)
                index = next(i for i, w in enumerate(workers) if w.pid == victim_pid)
                name = f"worker_{index}"
                held = await watch.leases_of(owner)
                cpu_of_killed += _cpu(processes[name]) - cpu_before[name]
                killed_at = time.perf_counter()
                os.kill(victim_pid, signal.SIGKILL)
                workers[index].wait()
                print(f"killed worker {victim_pid} holding {held} leases", file=sys.stderr)
                workers[index] = _start_worker(env)
                processes[name] = psutil.Process(workers[index].pid)
                cpu_before[name] = 0.0
                replacement = name
                while await watch.leases_of(owner):
                    if time.perf_counter() - killed_at > BOUND_SECONDS:
                        raise RuntimeError("nobody took the dead worker's installations over")
                    await asyncio.sleep(0.02)
                recovery = time.perf_counter() - killed_at
            killed = True
        if replacement is not None and await watch.presences() >= 2:
            # up and serving: its start is not the deals' cost
            restart_cpu = _cpu(processes[replacement])
            cpu_before[replacement] = restart_cpu
            replacement = None
        if done >= deals and await watch.unfinished() == 0:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    cpu_by_process = {name: _cpu(process) - cpu_before[name] for name, process in processes.items()}
    cpu_by_process["killed_worker"] = cpu_of_killed
    service_cpu = sum(cpu_by_process.values())
    deals_waited = await watch.deals_waited()
    busy_timeline = await watch.timeline(busy_installation, started_on_database)
    await connection.close()
    return {
        "seconds": elapsed,
        "service_cpu": service_cpu,
        "recovery_seconds": recovery,
        "hooks_rejected": rejected,
        "deals_waited": deals_waited,
        "busy_timeline": busy_timeline,
        "restart_cpu": restart_cpu,
        "cpu_by_process": {name: round(value, 2) for name, value in cpu_by_process.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer deals (about a minute)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    deals_by_index = [plan.deals(index) for index in range(INSTALLATIONS)]
    deals = sum(deals_by_index)
    with sandbox_processes(
        (serve_fortnox, deals_by_index, {}), (serve_upsales, deals_by_index, {})
    ) as (fortnox, upsales):
        print(f"seeded {INSTALLATIONS} installations, {deals} deals", file=sys.stderr)
        with database(os.environ.get("DATABASE_URL")) as database_url:
            env = service_env(
                database_url,
                (fortnox.port, upsales.port),
                worker_concurrency=INSTALLATIONS,
                backoff_seconds=(0.05, 0.5),
            )
            hooks, installation_ids = asyncio.run(prepare_database(env, fortnox.seed, upsales.seed))
            figures = _run_processes(
                database_url, env, hooks, installation_ids[0], deals, (fortnox, upsales)
            )
    print(json.dumps(figures))


def _run_processes(
    database_url: str,
    env: dict[str, str],
    hooks: list[tuple[str, bytes]],
    busy: str,
    deals: int,
    sandboxes: tuple[SandboxProcess, SandboxProcess],
) -> dict[str, Any]:
    workers = [_start_worker(env) for _ in range(2)]
    try:
        with (
            uvicorn_server("bench.common:service_app", env, start_timeout=180) as api_a,
            uvicorn_server("bench.common:service_app", env, start_timeout=180) as api_b,
        ):
            processes = {
                "api_0": psutil.Process(api_a.process.pid),
                "api_1": psutil.Process(api_b.process.pid),
                **{f"worker_{i}": psutil.Process(w.pid) for i, w in enumerate(workers)},
            }
            sandbox_by_name = {
                "fortnox_sandbox": psutil.Process(sandboxes[0].process.pid),
                "upsales_sandbox": psutil.Process(sandboxes[1].process.pid),
            }
            sandbox_cpu = {name: _cpu(process) for name, process in sandbox_by_name.items()}
            run = asyncio.run(
                _drive(
                    database_url,
                    env,
                    [api_a.port, api_b.port],
                    hooks,
                    busy,
                    deals,
                    processes,
                    workers,
                )
            )
            sandbox_cpu = {
                name: round(_cpu(process) - sandbox_cpu[name], 2)
                for name, process in sandbox_by_name.items()
            }
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    report = sandboxes[0].report()
    calls: Counter[int] = Counter(report["answered_by_tenant"])
    busiest = max(calls.values())
    bound = (math.ceil(busiest / LIMIT) - 1) * WINDOW
    return {
        "time_ratio": round(run["seconds"] / bound, 3) if bound else None,
        "cpu_ms_per_deal": round(run["service_cpu"] * 1000 / deals, 2),
        "duplicates": report["documents"] - report["distinct_references"],
        "lost": deals - report["distinct_references"],
        "recovery_seconds": (
            round(run["recovery_seconds"], 2) if run["recovery_seconds"] is not None else None
        ),
        "installations": INSTALLATIONS,
        "processes": 4,
        "deals": deals,
        "seconds": round(run["seconds"], 2),
        "rate_limit_bound_seconds": bound,
        "busiest_tenant_calls": busiest,
        "fortnox_calls": sum(calls.values()),
        "fortnox_calls_by_route": report["by_route"],
        "fortnox_429": report["throttled"],
        "hooks_rejected": run["hooks_rejected"],
        "deals_waited": run["deals_waited"],
        "busy_installation": run["busy_timeline"],
        "settle_seconds": float(
            os.environ.get("FORTNOX_CREATE_SETTLE_SECONDS", CREATE_MAY_LAND_WITHIN_SECONDS)
        ),
        "cpu_seconds": {
            "service": round(run["service_cpu"], 2),
            **run["cpu_by_process"],
            "restarted_worker_start": round(run["restart_cpu"], 2),
            **sandbox_cpu,
        },
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


if __name__ == "__main__":
    main()
