"""Shared benchmark plumbing: a scratch PostgreSQL database, a uvicorn server in a subprocess,
and a light HTTP/1.1 keep-alive load generator (so the client spends little of the CPU the
server needs)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


# -- database --------------------------------------------------------------------------------


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def database(url_from_env: str | None) -> Iterator[str]:
    """The given database, or a scratch one created now and dropped afterwards."""
    if url_from_env:
        yield url_from_env
        return
    name = f"ufs_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        base, _, _ = ADMIN_URL.rpartition("/")
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# -- server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)


@contextlib.contextmanager
def uvicorn_server(
    factory: str, env: dict[str, str], *, start_timeout: float = 30.0
) -> Iterator[Server]:
    """One uvicorn worker process serving ``factory`` (``module:function``); same flags always."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
        "--backlog", "2048",
    ]  # fmt: skip
    python_path = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    process = subprocess.Popen(
        command, env={**os.environ, **env, "PYTHONPATH": python_path}, cwd=REPO_ROOT
    )
    try:
        _wait_until_up(port, process, start_timeout)
        yield Server(process, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not come up")


# -- load ---------------------------------------------------------------------------------------


def http_request(path: str, body: bytes, port: int, headers: dict[str, str] | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class LoadResult:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    connection_errors: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> list[bool]:
        return [200 <= status < 300 for status in self.statuses]

    @property
    def errors(self) -> int:
        return self.connection_errors + sum(1 for good in self.ok if not good)

    @property
    def rps(self) -> float:
        return len(self.statuses) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(
            latency for latency, status in zip(self.latencies, self.statuses, strict=True) if status
        )
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def run_load(
    port: int, requests: Sequence[bytes], connections: int, rate: float | None = None
) -> LoadResult:
    """Send ``requests`` over ``connections`` keep-alive connections, one request in flight on
    each; record every status and latency (index-aligned with ``requests``).

    Without ``rate`` each connection sends its next request as soon as it has the answer (the
    server is saturated). With ``rate`` request *i* is due at ``i / rate`` seconds and its latency
    counts from then, so time spent waiting for a free connection is not hidden.
    """
    result = LoadResult(statuses=[0] * len(requests), latencies=[0.0] * len(requests))
    next_index = iter(range(len(requests)))
    started = time.perf_counter()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for index in next_index:
                due = started + index / rate if rate else time.perf_counter()
                if rate and due > time.perf_counter():
                    await asyncio.sleep(due - time.perf_counter())
                try:
                    writer.write(requests[index])
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError):
                    result.connection_errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                result.latencies[index] = time.perf_counter() - due
                result.statuses[index] = status
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result


# -- apps served by uvicorn ---------------------------------------------------------------------


def baseline_app() -> object:
    """A bare FastAPI app: ``POST /baseline`` answers ``{}``; the reference for throughput."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/baseline")
    async def baseline() -> dict[str, str]:
        return {}

    return app


def service_app() -> object:
    """The real service app, configured from the environment."""
    from upsales_fortnox.main import build_service_app

    return build_service_app()


def won_deal_order(
    deal: int, *, user_id: int, company_id: int, stage_id: int, products: list[int]
) -> dict[str, Any]:
    """The Upsales order of the benchmarks' ``deal``-th won deal: 1 to 3 rows, some discounted."""
    return {
        "description": f"Affär {deal}",
        "date": "2024-06-01",
        "user": {"id": user_id},
        "client": {"id": company_id},
        "stage": {"id": stage_id},
        "probability": 100,
        "orderRow": [
            {
                "product": {"id": products[(deal + row) % len(products)]},
                "quantity": 1 + (deal + row) % 4,
                "listPrice": "1250",
                "price": "1187.50" if row else "1250",
            }
            for row in range(1 + deal % 3)
        ],
    }
