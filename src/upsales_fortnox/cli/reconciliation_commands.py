"""``upsales-fortnox reconciliation ID --from --to [--repair]``: the reconciliation report of an
installation for a period, as a table; exits 1 when anything differs.

The same report as ``GET /api/installations/{id}/reconciliation``
(:mod:`upsales_fortnox.sync.report`), read live from both systems; ``--repair`` queues every
difference's repair job as ``POST …/reconciliation/repair`` does (a worker runs them).
"""

from __future__ import annotations

import datetime as dt
from typing import cast, get_args

import click
import typer

from upsales_fortnox.cli.errors import installation_id as parse_installation_id
from upsales_fortnox.cli.setup import command_settings
from upsales_fortnox.core import event_loop
from upsales_fortnox.core.db.clock import SERVICE_CLOCK
from upsales_fortnox.core.texts import DEFAULT_LANGUAGE, Language
from upsales_fortnox.domain.report_compare import Report
from upsales_fortnox.services import build_services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.report.alerts import report_differences
from upsales_fortnox.sync.report.gather import build_report, queue_repairs
from upsales_fortnox.sync.report.presentation import report_table
from upsales_fortnox.sync.report.router import MAX_PERIOD_DAYS


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def reconciliation_command(
    installation_id: str = typer.Argument(..., metavar="ID", help="The installation's id."),
    first_day: str = typer.Option(..., "--from", metavar="YYYY-MM-DD", help="First day."),
    last_day: str = typer.Option(..., "--to", metavar="YYYY-MM-DD", help="Last day, included."),
    repair: bool = typer.Option(False, "--repair", help="Queue the repair of every difference."),
    language: str = typer.Option(
        DEFAULT_LANGUAGE, "--language", metavar="sv|en", help="The table's language."
    ),
) -> None:
    """Both systems side by side for a period; exits 1 when anything differs."""
    installation = parse_installation_id(installation_id)
    if language not in get_args(Language):
        raise click.BadParameter(f"{language!r} is not sv or en", param_hint="--language")
    start, end = _day(first_day, "--from"), _day(last_day, "--to")
    if end < start:
        raise click.BadParameter("--from must not be after --to")
    if (end - start).days >= MAX_PERIOD_DAYS:  # the API's limit on the same report
        raise click.BadParameter(f"a period spans at most {MAX_PERIOD_DAYS} days")
    settings = command_settings(calls_fortnox=True)

    async def run() -> tuple[Report, int]:
        services = build_services(settings)
        try:
            await SERVICE_CLOCK.align_for_command(services.engine)  # no background reads it
            context = await installation_context(services, installation)
            report = await build_report(context, services.session_factory, start, end)
            await report_differences(services.session_factory, installation, report, start, end)
            queued = 0
            if repair and not report.clean:
                ids = await queue_repairs(
                    services.session_factory, installation, report.differences
                )
                queued = len(ids)
            return report, queued
        finally:
            await services.aclose()

    report, queued = event_loop.run(run())
    typer.echo(report_table(report, cast(Language, language)))
    if queued:
        typer.echo(f"queued {queued} repair job(s)")
    if not report.clean:
        raise typer.Exit(code=1)
