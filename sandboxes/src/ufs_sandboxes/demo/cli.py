"""The upsales-fortnox-demo command (``make demo``): the service and both API sandboxes on local
ports, showing a real sync both ways; a failure is one line on stderr, as with the service's own
command."""

from __future__ import annotations

import asyncio

import typer

from ufs_sandboxes.demo.console import DemoPorts
from ufs_sandboxes.demo.run import DEMO_DATABASE, run_demo
from ufs_sandboxes.serve import FORTNOX_PORT, UPSALES_PORT, one_command, run_command
from upsales_fortnox.cli.errors import report_and_exit
from upsales_fortnox.core.config import load_settings
from upsales_fortnox.core.logging_setup import configure_logging


def demo(
    host: str = typer.Option(
        "127.0.0.1", metavar="HOST", help="Interface for the service and the sandboxes."
    ),
    port: int = typer.Option(8080, metavar="PORT", help="Port of the service."),
    fortnox_port: int = typer.Option(
        FORTNOX_PORT, metavar="PORT", help="Port of the Fortnox sandbox."
    ),
    upsales_port: int = typer.Option(
        UPSALES_PORT, metavar="PORT", help="Port of the Upsales sandbox."
    ),
    stay: bool = typer.Option(True, help="Keep serving after the showcase (Ctrl-C stops)."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of a failure."),
) -> None:
    """Run the service with both API sandboxes on SQLite and show a real sync both ways."""
    ports = DemoPorts(host=host, service=port, fortnox=fortnox_port, upsales=upsales_port)
    try:
        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        asyncio.run(run_demo(settings, ports, stay=stay))
    except Exception as failure:  # a port or the database in use, bad settings: one line
        database_url = f"sqlite:///{DEMO_DATABASE.resolve()}"
        report_and_exit(failure, debug=debug, database_url=database_url)


def main() -> None:
    """Run the demo until Ctrl-C."""
    run_command(one_command(demo))
