"""``upsales-fortnox installations``: create, list and edit installations from the command line.

The same operations as ``POST/GET/PATCH /api/installations``, on the database DATABASE_URL names,
so a newcomer need not write the HTTP requests by hand.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Final, TypeVar

import click
import typer
from pydantic import ValidationError

from upsales_fortnox.activation.login_link import (
    APP_CONFIG_LOGIN_LINK_LIFETIME,
    LOGIN_LINK_LIFETIME,
    LoginLinkSigner,
)
from upsales_fortnox.cli.errors import installation_id as parse_installation_id
from upsales_fortnox.cli.setup import command_settings
from upsales_fortnox.core import event_loop
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.errors import InstallationNotFound
from upsales_fortnox.installations.key_owner import LiveKeyOwner
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.installations.schemas import InstallationCreate, InstallationPatch
from upsales_fortnox.installations.service import (
    InstallationRecord,
    NewInstallation,
    create_installation,
    list_installations,
    update_installation,
)
from upsales_fortnox.installations.versioning import VersionPrecondition
from upsales_fortnox.services import build_services

installations_cli = typer.Typer(
    no_args_is_help=True, help="Create, list and edit installations.", rich_markup_mode=None
)


def _login_url(
    settings: Settings, installation_id: uuid.UUID, lifetime: timedelta = LOGIN_LINK_LIFETIME
) -> str:
    signer = LoginLinkSigner(settings.secret_key.get_secret_value())
    return signer.url(settings.public_base_url, installation_id, now=utcnow(), lifetime=lifetime)


_LIST_PAGE: Final = 1000


@installations_cli.command("list")
def list_command() -> None:
    """One line per installation: id, status, Fortnox login, Upsales customer id, name."""
    settings = command_settings(calls_fortnox=False)

    async def read() -> list[InstallationRecord]:
        services = build_services(settings)
        records: list[InstallationRecord] = []
        try:
            async with services.session_factory() as session:
                while True:  # a page at a time, however many there are
                    page, total = await list_installations(
                        session, limit=_LIST_PAGE, offset=len(records)
                    )
                    records += page
                    if not page or len(records) >= total:
                        return records
        finally:
            await services.aclose()

    records = event_loop.run(read())
    if not records:
        typer.echo("no installations yet (`upsales-fortnox installations create --help`)")
    for record in records:
        row = record.installation
        login = "logged-in" if record.has_fortnox_login else "no-login"
        customer = row.upsales_customer_id if row.upsales_customer_id is not None else "-"
        typer.echo(f"{row.id}  {row.status:<14} {login:<9}  customer {customer}  {row.name}")


MAX_LOGIN_VALID_DAYS: Final = 3650
"""The longest a printed login link may stay valid (ten years; far beyond a year, the
default, yet short of the calendar's end)."""

#: The command line's name of each field of ``POST /api/installations``.
_PARAMETERS: Final = {
    "name": "NAME",
    "upsales_customer_id": "--upsales-customer-id",
    "upsales_api_token": "--upsales-api-token",
    "webhook_secret": "--webhook-secret",
    "status": "--status",
    "status_reason": "--reason",
}
#: The same for ``installations edit`` (``PATCH``), which takes the name as an option.
_EDIT_PARAMETERS: Final = {**_PARAMETERS, "name": "--name"}


Body = TypeVar("Body", InstallationCreate, InstallationPatch)


def _checked(body: type[Body], fields: dict[str, Any]) -> Body:
    """The fields given, checked by the rules the API applies to the same body (a usage error
    naming the parameter and the rule, never the value, when one is broken)."""
    given = {key: value for key, value in fields.items() if value is not None}
    names = _EDIT_PARAMETERS if body is InstallationPatch else _PARAMETERS
    try:
        return body.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{names.get(str(error['loc'][0]), str(error['loc'][0]))}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise click.BadParameter(problems) from None


def _checked_installation(fields: dict[str, Any]) -> NewInstallation:
    return _checked(InstallationCreate, fields).to_new_installation()


@installations_cli.command("create")
def create_command(
    name: str = typer.Argument(..., metavar="NAME", help="The customer's name."),
    upsales_customer_id: int | None = typer.Option(
        None, metavar="ID", help="The Upsales account's customer id."
    ),
    upsales_api_token: str | None = typer.Option(
        None, metavar="KEY", help="The Upsales API key the sync uses."
    ),
    webhook_secret: str | None = typer.Option(
        None, metavar="SECRET", help="The secret Upsales trigger requests carry."
    ),
) -> None:
    """Register an installation and print its id, webhook URL and Fortnox login link.

    Its settings come next, through PUT /api/installations/ID/settings, once it is connected.
    """
    settings = command_settings(calls_fortnox=False)
    new = _checked_installation(
        {
            "name": name,
            "upsales_customer_id": upsales_customer_id,
            "upsales_api_token": upsales_api_token,
            "webhook_secret": webhook_secret,
        }
    )

    async def create() -> uuid.UUID:
        services = build_services(settings)
        try:
            async with services.session_factory() as session:
                record = await create_installation(
                    session, services.secret_box, new, key_owner=LiveKeyOwner(services)
                )
                await session.commit()
            return record.installation.id
        finally:
            await services.aclose()

    installation_id = event_loop.run(create())
    base = settings.public_base_url.rstrip("/")
    typer.echo(f"installation {installation_id} created")
    typer.echo(f"  Upsales webhook URL  {base}/webhooks/upsales/{installation_id}")
    typer.echo(f"  Fortnox login link   {_login_url(settings, installation_id)}")


@installations_cli.command("upsales-config")
def upsales_config_command(
    installation_id: str = typer.Argument(
        "{installation}", metavar="ID", help="The installation's id (left out: a placeholder)."
    ),
    login_valid_days: int = typer.Option(
        APP_CONFIG_LOGIN_LINK_LIFETIME.days,
        min=1,
        max=MAX_LOGIN_VALID_DAYS,
        help="How many days the login button's link stays valid.",
    ),
) -> None:
    """Print the Upsales app configuration for an installation as JSON: the config fields
    (the Fortnox login button and every sync setting) and the hook types with their URL."""
    import json

    from upsales_fortnox.installations.app_config import upsales_app_config

    settings = command_settings(calls_fortnox=True)
    if installation_id == "{installation}":
        login_url = f"{settings.public_base_url.rstrip('/')}/activate/{{installation}}/fortnox"
    else:
        installation = parse_installation_id(installation_id)
        event_loop.run(_require_installation(settings, installation))
        login_url = _login_url(settings, installation, timedelta(days=login_valid_days))
    config = upsales_app_config(
        settings.public_base_url, settings.fortnox_client_id, installation_id, login_url
    )
    typer.echo(json.dumps(config, indent=2, ensure_ascii=False))


async def _require_installation(settings: Settings, installation_id: uuid.UUID) -> None:
    """Raises :class:`InstallationNotFound` when no installation has the id: a mistyped id
    must not get a configuration whose login link opens nothing for a year."""
    services = build_services(settings)
    try:
        async with services.session_factory() as session:
            if await find_installation(session, installation_id) is None:
                raise InstallationNotFound(installation_id)
    finally:
        await services.aclose()


@installations_cli.command("edit")
def edit_command(
    installation: str = typer.Argument(..., metavar="ID", help="The installation's id."),
    name: str | None = typer.Option(None, metavar="NAME", help="The customer's name."),
    upsales_customer_id: int | None = typer.Option(
        None, metavar="ID", help="The Upsales account's customer id."
    ),
    upsales_api_token: str | None = typer.Option(
        None,
        metavar="KEY",
        help="A new Upsales API key; the jobs Upsales refused with the old one run again.",
    ),
    webhook_secret: str | None = typer.Option(
        None, metavar="SECRET", help="The secret Upsales trigger requests carry."
    ),
    status: str | None = typer.Option(
        None, metavar="STATUS", help="pending_login, active (after a Fortnox login) or paused."
    ),
    reason: str | None = typer.Option(None, metavar="TEXT", help="Why the status changes."),
) -> None:
    """Change what is given, as PATCH /api/installations/ID does; the rest stays."""
    installation_id = parse_installation_id(installation)
    patch = _checked(
        InstallationPatch,
        {
            "name": name,
            "upsales_customer_id": upsales_customer_id,
            "upsales_api_token": upsales_api_token,
            "webhook_secret": webhook_secret,
            "status": status,
            "status_reason": reason,
        },
    )
    if not patch.model_fields_set:
        raise click.UsageError("nothing to change: give at least one option")
    settings = command_settings(calls_fortnox=False)

    async def edit() -> InstallationRecord:
        services = build_services(settings)
        try:
            async with services.session_factory() as session:
                record = await update_installation(
                    session,
                    services.secret_box,
                    installation_id,
                    VersionPrecondition(any_version=True),
                    patch.to_changes(),
                    key_owner=LiveKeyOwner(services),
                )
                await session.commit()
            return record
        finally:
            await services.aclose()

    row = event_loop.run(edit()).installation
    changed = ", ".join(sorted(_EDIT_PARAMETERS[field] for field in patch.model_fields_set))
    typer.echo(f"installation {row.id} edited ({changed}): {row.status}  {row.name}")
