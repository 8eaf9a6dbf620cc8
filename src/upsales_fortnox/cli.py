"""The ``upsales-fortnox`` command."""

from __future__ import annotations

import typer
import uvicorn

from upsales_fortnox.config import (
    SANDBOX_FORTNOX_PORT,
    SANDBOX_HOST,
    SANDBOX_UPSALES_PORT,
    ConfigError,
    Settings,
    development_secrets_in_use,
    is_loopback,
    load_settings,
)
from upsales_fortnox.logging_setup import configure_logging

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    configure_logging(settings.log_format, settings.log_level)
    return settings


@cli.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (Alembic ``upgrade head``)."""
    from upsales_fortnox.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is at the newest schema")


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    with_worker: bool = typer.Option(True, help="Run the job worker in this process too."),
) -> None:
    """Run the HTTP API, with the job worker in the same process by default."""
    from upsales_fortnox.app import create_app
    from upsales_fortnox.runtime import background_tasks

    settings = _settings()
    exposed_defaults = development_secrets_in_use(settings)
    if exposed_defaults and not is_loopback(host):
        typer.echo(
            f"refusing to listen on {host} with the development default of "
            f"{', '.join(exposed_defaults)}: set real values",
            err=True,
        )
        raise typer.Exit(code=2)
    app = create_app(settings, background=background_tasks(worker=with_worker, stream=with_worker))
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


@cli.command()
def worker(
    stream: bool = typer.Option(
        True, help="Also consume Fortnox's change stream and schedule reconciliation (one process)."
    ),
) -> None:
    """Run a job worker alone (scale out by starting more; they share the database)."""
    import asyncio

    from upsales_fortnox.jobs import install_stop_signal_handlers
    from upsales_fortnox.runtime import background_tasks, run_background
    from upsales_fortnox.services import build_services

    settings = _settings()

    async def main() -> None:
        services = build_services(settings)
        stop = asyncio.Event()
        uninstall = install_stop_signal_handlers(stop)
        try:
            await run_background(services, stop, background_tasks(stream=stream))
        finally:
            uninstall()
            await services.aclose()

    asyncio.run(main())


@cli.command()
def sandbox(
    host: str = typer.Option(SANDBOX_HOST, help="Interface to listen on."),
    fortnox_port: int = typer.Option(SANDBOX_FORTNOX_PORT, help="Port of the Fortnox sandbox."),
    upsales_port: int = typer.Option(SANDBOX_UPSALES_PORT, help="Port of the Upsales sandbox."),
) -> None:
    """Run local stand-ins of the Fortnox and Upsales APIs (in memory) and print how to reach
    them."""
    import asyncio

    from upsales_fortnox.sandbox.fortnox import (
        create_fortnox_sandbox,
        print_fortnox_sandbox_endpoints,
        serve_fortnox_sandbox,
    )
    from upsales_fortnox.sandbox.upsales import (
        create_upsales_sandbox,
        print_upsales_sandbox_banner,
        serve_upsales_sandbox,
    )

    _settings()
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


@cli.command("initial-sync")
def initial_sync(
    installation_id: str = typer.Argument(..., help="The installation's id."),
    run: bool = typer.Option(False, "--run", help="Run the job worker in this process too."),
    poll_seconds: float = typer.Option(1.0, help="How often to read the progress."),
) -> None:
    """Start the initial sync (or attach to the running one) and show its progress."""
    import asyncio
    import uuid

    from upsales_fortnox.sync.initial.console import (
        InitialSyncRefused,
        dumps,
        follow_initial_sync,
    )

    settings = _settings()
    try:
        report = asyncio.run(
            follow_initial_sync(
                settings, uuid.UUID(installation_id), run_worker=run, poll_seconds=poll_seconds
            )
        )
    except InitialSyncRefused as exc:
        typer.echo(f"{exc.code}: {exc.message}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(dumps(report))
    if report["status"] != "done":
        raise typer.Exit(code=1)


@cli.command()
def preview(installation_id: str = typer.Argument(..., help="The installation's id.")) -> None:
    """Dry-run the initial sync: what would be created, linked, updated; what is ambiguous."""
    import asyncio
    import uuid

    from upsales_fortnox.sync.initial.console import dumps, run_preview

    settings = _settings()
    typer.echo(dumps(asyncio.run(run_preview(settings, uuid.UUID(installation_id)))))


@cli.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface for the service and the sandboxes."),
    port: int = typer.Option(8080, help="Port of the service."),
    fortnox_port: int = typer.Option(SANDBOX_FORTNOX_PORT, help="Port of the Fortnox sandbox."),
    upsales_port: int = typer.Option(SANDBOX_UPSALES_PORT, help="Port of the Upsales sandbox."),
    stay: bool = typer.Option(True, help="Keep serving after the showcase (Ctrl-C stops)."),
) -> None:
    """Run the service with both API sandboxes on SQLite and show a real sync both ways."""
    import asyncio

    from upsales_fortnox.demo import DemoPorts, run_demo

    settings = _settings()
    ports = DemoPorts(host=host, service=port, fortnox=fortnox_port, upsales=upsales_port)
    try:
        asyncio.run(run_demo(settings, ports, stay=stay))
    except KeyboardInterrupt:
        typer.echo("stopped")


def main() -> None:
    cli()
