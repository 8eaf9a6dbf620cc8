"""The ``upsales-fortnox`` command."""

from __future__ import annotations

import typer
import uvicorn

from upsales_fortnox.config import ConfigError, Settings, load_settings
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
    from upsales_fortnox.runtime import run_worker

    settings = _settings()
    app = create_app(settings, background=[run_worker] if with_worker else [])
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


@cli.command()
def worker() -> None:
    """Run a job worker alone (scale out by starting more; they share the database)."""
    import asyncio

    from upsales_fortnox.jobs import install_stop_signal_handlers
    from upsales_fortnox.runtime import run_worker
    from upsales_fortnox.services import build_services

    settings = _settings()

    async def main() -> None:
        services = build_services(settings)
        stop = asyncio.Event()
        uninstall = install_stop_signal_handlers(stop)
        try:
            await run_worker(services, stop)
        finally:
            uninstall()
            await services.aclose()

    asyncio.run(main())


def main() -> None:
    cli()
