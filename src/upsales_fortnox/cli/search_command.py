"""``upsales-fortnox search``: from a customer's name or a Fortnox document number to its
installation, links and newest jobs (the same search as ``GET /api/search``)."""

from __future__ import annotations

import click
import typer

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.cli.job_commands import in_session, job_line
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.history.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SearchResults,
    search,
    search_text,
)


def _lines(found: SearchResults) -> list[str]:
    lines = [
        "\t".join(
            [
                "installation",
                str(installation.id),
                installation.name,
                installation.status,
                str(installation.upsales_customer_id or ""),
                installation.fortnox_tenant_id or "",
            ]
        )
        for installation in found.installations
    ]
    if found.more_installations:
        lines.append("installation\t… more match: narrow the name")
    for link in found.links:
        lines.append(
            "\t".join(
                [
                    "link",
                    str(link.installation_id),
                    link.installation_name,
                    link.entity,
                    f"upsales:{link.upsales_id}",
                    f"fortnox:{link.fortnox_type}:{link.fortnox_id}",
                    link.name or "",
                ]
            )
        )
        lines += [f"  job\t{job_line(job)}" for job in link.recent_jobs]
    if found.more_links:
        lines.append("link\t… more match: narrow the name")
    return lines or [f"nothing matches {found.query!r}"]


def search_command(
    text: str = typer.Argument(
        ..., metavar="NAME", help="Part of a name (any case) or a Fortnox document number."
    ),
    limit: int = typer.Option(
        DEFAULT_LIMIT, "--limit", min=1, max=MAX_LIMIT, help="At most this many of each."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the answer of GET /api/search (a stable shape)."
    ),
) -> None:
    """Find installations and linked companies or documents by name or document number, with
    each entity's newest jobs: installation lines (id, name, status, Upsales customer, Fortnox
    tenant), link lines (installation, its name, entity, ids, company name), job lines below."""
    try:
        search_text(text)
    except ApiError as refused:
        raise click.BadParameter(refused.message, param_hint="NAME") from None

    async def find(session: DbSession) -> SearchResults:
        return await search(session, text, limit)

    found = in_session(find)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    for line in _lines(found):
        typer.echo(line)
