"""Stop the worker gracefully on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_stop_signal_handlers(
    stop: asyncio.Event, loop: asyncio.AbstractEventLoop | None = None
) -> Callable[[], None]:
    """Set ``stop`` when the process receives SIGTERM or SIGINT; returns an uninstaller.

    The worker then finishes the job it is running (or releases it after its grace period)
    and returns from :meth:`~upsales_fortnox.jobs.worker.Worker.run`.
    """
    loop = loop or asyncio.get_running_loop()

    def request_stop(signal_number: int) -> None:
        logger.info("received %s; stopping", signal.Signals(signal_number).name)
        stop.set()

    for signal_number in STOP_SIGNALS:
        loop.add_signal_handler(signal_number, request_stop, signal_number)

    def uninstall() -> None:
        for signal_number in STOP_SIGNALS:
            loop.remove_signal_handler(signal_number)

    return uninstall
