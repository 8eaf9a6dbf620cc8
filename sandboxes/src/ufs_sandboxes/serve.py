"""The upsales-fortnox-sandbox command: both API sandboxes on local ports, in memory.

A failure is one line on stderr and a non-zero exit code (2: bad command line, 1: it failed), as
with the service's own command.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import typer

from ufs_sandboxes.fortnox import (
    create_fortnox_sandbox,
    print_fortnox_sandbox_endpoints,
    serve_fortnox_sandbox,
)
from ufs_sandboxes.upsales import (
    create_upsales_sandbox,
    print_upsales_sandbox_banner,
    serve_upsales_sandbox,
)

#: Where the sandboxes listen by default (the service's default settings point here).
SANDBOX_HOST = "127.0.0.1"
FORTNOX_PORT = 8091
UPSALES_PORT = 8092

INTERRUPTED = 130


def sandbox(
    host: str = typer.Option(SANDBOX_HOST, metavar="HOST", help="Interface to listen on."),
    fortnox_port: int = typer.Option(
        FORTNOX_PORT, metavar="PORT", help="Port of the Fortnox sandbox."
    ),
    upsales_port: int = typer.Option(
        UPSALES_PORT, metavar="PORT", help="Port of the Upsales sandbox."
    ),
) -> None:
    """Run local stand-ins of the Fortnox and Upsales APIs (in memory) and print how to reach
    them."""
    fortnox = create_fortnox_sandbox()
    upsales = create_upsales_sandbox()
    print_fortnox_sandbox_endpoints(fortnox, host, fortnox_port)
    print_upsales_sandbox_banner(upsales, host, upsales_port)

    async def serve_both() -> None:
        await asyncio.gather(
            serve_fortnox_sandbox(fortnox, host, fortnox_port),
            serve_upsales_sandbox(upsales, host, upsales_port),
        )

    asyncio.run(serve_both())


def one_command(command: Callable[..., None]) -> typer.Typer:
    """A command line of one command, with plain help (no markup, no type labels)."""
    app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    app.command()(command)
    return app


def run_command(app: typer.Typer) -> None:
    """Run ``app``; Ctrl-C, a bad command line and a failure end with one line on stderr."""
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        raise SystemExit(INTERRUPTED) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        raise SystemExit(INTERRUPTED) from None
    except typer.TyperException as wrong:  # a bad command line: exit code 2
        typer.echo(f"error: {wrong.format_message()} (see --help)", err=True)
        raise SystemExit(wrong.exit_code) from None
    except Exception as failure:  # every other failure ends here, as one line
        lines = str(failure).strip().splitlines()
        typer.echo(f"error: {type(failure).__name__}: {lines[0] if lines else ''}", err=True)
        raise SystemExit(1) from None
    sys.exit(code if isinstance(code, int) else 0)


def main() -> None:
    """Serve both sandboxes until Ctrl-C."""
    run_command(one_command(sandbox))
