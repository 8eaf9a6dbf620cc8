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
) -> None:
    """Run the HTTP API."""
    from upsales_fortnox.app import create_app

    settings = _settings()
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


def main() -> None:
    cli()
