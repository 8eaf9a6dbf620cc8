"""Is a port or a demo database already taken? Asked before a command touches anything, so a
second demo (or ``serve``) stops with one line instead of harming the one already running."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import IO


class InUse(Exception):
    """A port or database another process holds; the message says which, in one line."""


def port_in_use(host: str, port: int) -> bool:
    """Whether ``host:port`` cannot be bound (another server listens there)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: SO_REUSEADDR lets a port in TIME_WAIT count as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def check_ports_free(host: str, ports: Iterable[tuple[str, int]]) -> None:
    """Raise :class:`InUse` naming every ``(what, port)`` already taken on ``host``."""
    taken = [f"{what} port {port}" for what, port in ports if port_in_use(host, port)]
    if taken:
        raise InUse(
            f"{' and '.join(taken)} on {host} already in use (another demo or serve?): "
            "stop it or choose other ports (--help lists the options)"
        )


class DatabaseLock:
    """An exclusive lock on ``<database>.lock`` for as long as one demo uses the database."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise InUse(
                f"database {self.path.with_suffix('')} is in use by {holder}: stop that demo first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
