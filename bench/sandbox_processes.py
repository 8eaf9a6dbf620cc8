"""The sandboxes served from child processes of their own (as the real APIs are elsewhere):
started, seeded and waited for together, killed together."""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import psutil

from bench.common import free_port


@dataclass
class SandboxProcess:
    process: BaseProcess
    pipe: Connection
    port: int
    seed: Any
    """What the child sent back once seeded (tenants and tokens, customers and orders)."""

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def report(self) -> Any:
        """The child's account of what it served (the Fortnox sandbox answers this)."""
        self.pipe.send("report")
        return self.pipe.recv()


Target = Callable[..., None]


@contextlib.contextmanager
def sandbox_processes(
    *targets: tuple[Target, list[int], dict[str, Any]],
) -> Iterator[list[SandboxProcess]]:
    """Each ``(serve, deals_by_index, options)`` runs as ``serve(deals_by_index, port, pipe,
    **options)`` in a spawned process; yields once every one has sent its seed and listens."""
    context = multiprocessing.get_context("spawn")
    started: list[tuple[BaseProcess, Connection, int]] = []
    try:
        for serve, deals_by_index, options in targets:
            port = free_port()
            receiver, sender = context.Pipe()
            child = context.Process(
                target=serve, args=(deals_by_index, port, sender), kwargs=options
            )
            child.start()
            sender.close()  # the child's end: a child that dies before seeding ends recv()
            started.append((child, receiver, port))
        sandboxes = [
            SandboxProcess(child, receiver, port, receiver.recv())
            for child, receiver, port in started
        ]
        for sandbox in sandboxes:
            _wait_for_port(sandbox.port)
        yield sandboxes
    finally:
        for process, _, _ in started:
            process.kill()
            process.join()


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"no sandbox listening on port {port}")
