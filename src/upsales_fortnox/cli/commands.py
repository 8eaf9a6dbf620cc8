"""The upsales-fortnox command: the service, its worker and operator tools.

Settings come from environment variables (see the README); DATABASE_URL picks the database.
"""

from __future__ import annotations

import os

import click
import typer
import uvicorn

from upsales_fortnox import __version__
from upsales_fortnox.cli.errors import StartRefused, report_and_exit
from upsales_fortnox.cli.errors import installation_id as parse_installation_id
from upsales_fortnox.cli.installation_commands import installations_cli
from upsales_fortnox.cli.job_commands import jobs_cli
from upsales_fortnox.cli.reconciliation_commands import reconciliation_command
from upsales_fortnox.cli.search_command import search_command
from upsales_fortnox.cli.setup import command_settings
from upsales_fortnox.core import event_loop
from upsales_fortnox.core.config import (
    Settings,
    development_secrets_in_use,
    is_loopback,
    load_settings,
    sandbox_settings_in_use,
)
from upsales_fortnox.core.db.migration_lock import (
    DEFAULT_LOCK_TIMEOUT_SECONDS,
    MAX_LOCK_TIMEOUT_SECONDS,
)
from upsales_fortnox.core.occupancy import check_ports_free

cli = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=__doc__,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
cli.add_typer(installations_cli, name="installations")
cli.add_typer(jobs_cli, name="jobs")
cli.command("reconciliation")(reconciliation_command)
cli.command("search")(search_command)
_options = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"upsales-fortnox {__version__}")
        raise typer.Exit()


@cli.callback()
def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of a failure."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    _options["debug"] = debug


def _settings(*, calls_fortnox: bool = True) -> Settings:
    return command_settings(calls_fortnox=calls_fortnox)


@cli.command()
def migrate(
    lock_timeout: float = typer.Option(
        DEFAULT_LOCK_TIMEOUT_SECONDS,
        "--lock-timeout",
        metavar="SECONDS",
        min=0.001,
        max=MAX_LOCK_TIMEOUT_SECONDS,
        help="PostgreSQL: how long to wait for a table another transaction (a running worker)"
        " holds before giving up, the migration undone (migration_lock_timeout); at most a day.",
    ),
) -> None:
    """Upgrade the database to the newest schema."""
    from upsales_fortnox.core.db.migrate import upgrade

    settings = _settings(calls_fortnox=False)
    newer = upgrade(settings.database_url, lock_timeout_seconds=lock_timeout)
    if newer is None:
        typer.echo("database is at the newest schema")
    else:
        typer.echo(
            f"database is at migration {newer}, a newer version's: nothing to do (this version"
            " runs on it)"
        )


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", metavar="HOST", help="Interface to listen on."),
    port: int = typer.Option(8080, metavar="PORT", min=1, max=65535, help="Port to listen on."),
    with_worker: bool = typer.Option(True, help="Run the job worker in this process too."),
    allow_sandbox: bool = typer.Option(
        False,
        "--allow-sandbox",
        help="Listen beyond loopback even with sandbox or localhost URLs (test rigs only).",
    ),
) -> None:
    """Run the HTTP API, with the job worker in the same process by default."""
    from upsales_fortnox.background import background_tasks
    from upsales_fortnox.main import build_service_app

    settings = _settings()
    if not is_loopback(host):
        _refuse_development_values(host, settings, allow_sandbox=allow_sandbox)
    try:
        check_ports_free(host, [("service", port)])
    except OSError as exc:  # a taken port is InUse; this is a host no interface has
        raise click.BadParameter(f"cannot listen on {host!r}: {exc}", param_hint="--host") from None
    app = build_service_app(
        settings,
        background=background_tasks(
            worker=with_worker,
            stream=with_worker,
            metrics_port=settings.metrics_enabled and settings.metrics_port is not None,
        ),
    )
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


def _refuse_development_values(host: str, settings: Settings, *, allow_sandbox: bool) -> None:
    exposed = development_secrets_in_use(settings)
    if exposed:
        raise StartRefused(
            f"refusing to listen on {host} with the development default of "
            f"{', '.join(exposed)}: set real values"
        )
    local = sandbox_settings_in_use(settings)
    if local and not allow_sandbox:
        raise StartRefused(
            f"refusing to listen on {host} while {', '.join(local)} still point at the sandbox "
            "or this machine: set the real values (docs/going-live.md), or pass --allow-sandbox "
            "on a test rig"
        )


@cli.command()
def worker(
    stream: bool = typer.Option(
        True, help="Also consume Fortnox's change stream and schedule reconciliation (one process)."
    ),
) -> None:
    """Run a job worker alone (scale out by starting more; they share the database)."""
    import asyncio

    from upsales_fortnox.background import background_tasks, run_background
    from upsales_fortnox.jobs import install_stop_signal_handlers
    from upsales_fortnox.services import build_services

    settings = _settings()

    async def main() -> None:
        services = build_services(settings)
        stop = asyncio.Event()
        uninstall = install_stop_signal_handlers(stop)
        try:
            metrics_port = settings.metrics_enabled and settings.metrics_port is not None
            tasks = background_tasks(stream=stream, metrics_port=metrics_port)
            await run_background(services, stop, tasks)
        finally:
            uninstall()
            await services.aclose()

    event_loop.run(main())


@cli.command("initial-sync")
def initial_sync(
    installation_id: str = typer.Argument(..., metavar="ID", help="The installation's id."),
    run: bool = typer.Option(False, "--run", help="Run the job worker in this process too."),
    poll_seconds: float = typer.Option(
        1.0, metavar="SECONDS", min=0.01, max=3600, help="How often to read the progress."
    ),
) -> None:
    """Start the initial sync (or attach to the running one) and show its progress."""

    from upsales_fortnox.sync.initial.console import dumps, follow_initial_sync

    settings = _settings()
    report = event_loop.run(
        follow_initial_sync(
            settings,
            parse_installation_id(installation_id),
            run_worker=run,
            poll_seconds=poll_seconds,
        )
    )
    typer.echo(dumps(report))
    if report["status"] != "done":
        raise typer.Exit(code=1)


@cli.command()
def preview(
    installation_id: str = typer.Argument(..., metavar="ID", help="The installation's id."),
) -> None:
    """Dry-run the initial sync: what would be created, linked, updated; what is ambiguous."""

    from upsales_fortnox.sync.initial.console import dumps, run_preview

    settings = _settings()
    typer.echo(dumps(event_loop.run(run_preview(settings, parse_installation_id(installation_id)))))


def main() -> None:
    """Run the command; a failure is one line on stderr and a non-zero exit code."""
    try:
        code = cli(standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        raise SystemExit(130) from None
    except click.exceptions.Exit as done:
        raise SystemExit(done.exit_code) from None
    except click.exceptions.Abort:
        raise SystemExit(130) from None
    except Exception as exc:  # every failure ends here, as one line
        report_and_exit(exc, debug=_options["debug"], database_url=_database_url())
    raise SystemExit(code if isinstance(code, int) else 0)


def _database_url() -> str | None:
    try:
        return load_settings().database_url
    except Exception:
        return os.environ.get("DATABASE_URL")
