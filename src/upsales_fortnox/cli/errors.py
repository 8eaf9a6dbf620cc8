"""How the command line reports a failure: one line on stderr and a non-zero exit code.

``--debug`` adds the traceback. Known failures (bad configuration, a port in use, a database
without tables, an unknown installation) get a sentence that says what to do.
"""

from __future__ import annotations

import sys
import traceback
import uuid

import click
import typer

from upsales_fortnox.core.config import ConfigError
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.core.db.errors import (
    driver_message,
    is_refused_by_database,
    safe_database_url,
)
from upsales_fortnox.core.db.unavailable import (
    DATABASE_NOT_MIGRATED,
    DATABASE_UNAVAILABLE,
    is_database_socket_error,
)
from upsales_fortnox.core.occupancy import InUse
from upsales_fortnox.installations.errors import (
    DuplicateCustomerId,
    InstallationNotFound,
    UpsalesKeyOfAnotherAccount,
)

#: Exit codes: 1 the command failed, 2 the command line or configuration is wrong.
FAILED = 1
USAGE = 2
INTERRUPTED = 130


class StartRefused(Exception):
    """The command will not start as configured; the message says what to change."""


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def describe_database_error(exc: BaseException, database_url: str) -> str:
    where = safe_database_url(database_url)
    detail = _first_line(driver_message(exc))
    if "no such table" in detail or ("does not exist" in detail and "relation" in detail):
        return (
            f"{DATABASE_NOT_MIGRATED}: the database {where} has no tables yet: run "
            "`upsales-fortnox migrate`, or point DATABASE_URL at the database you meant (the "
            "demo prints its own)"
        )
    return (
        f"{DATABASE_UNAVAILABLE}: the database {where} refused: {detail}: is DATABASE_URL the "
        "one you meant?"
    )


def _is_typer_usage_error(exc: BaseException) -> bool:
    """Typer parses with its own copy of click, whose usage errors are not ``click``'s."""
    return isinstance(exc, typer.TyperException) and getattr(exc, "exit_code", None) == USAGE


def describe(exc: BaseException, database_url: str | None) -> tuple[str, int]:
    """The one line to print for ``exc``, and the exit code."""
    if isinstance(exc, click.UsageError) or _is_typer_usage_error(exc):
        return f"{exc.format_message()} (see --help)", USAGE  # type: ignore[attr-defined]
    if isinstance(exc, ConfigError | StartRefused):
        return str(exc), USAGE
    if isinstance(exc, InUse):
        return str(exc), FAILED
    if isinstance(exc, InstallationNotFound):  # the codes the operator API answers with
        return f"installation_not_found: {exc}", FAILED
    if isinstance(exc, DuplicateCustomerId):
        return f"conflict: {exc}", FAILED
    if isinstance(exc, UpsalesKeyOfAnotherAccount):
        return f"upsales_key_other_account: {exc}", FAILED
    if isinstance(exc, DecryptionError):
        return (
            "installation_not_ready: the installation's stored credentials cannot be decrypted "
            "with SECRET_KEY; enter the Upsales API key again or log in to Fortnox again",
            FAILED,
        )
    if is_refused_by_database(exc) and database_url:
        return describe_database_error(exc, database_url), FAILED
    if is_database_socket_error(exc) and database_url is not None:
        return (
            f"{DATABASE_UNAVAILABLE}: the database {safe_database_url(database_url)} does not "
            f"answer ({_first_line(exc) or type(exc).__name__}): is it running, and is "
            "DATABASE_URL the one you meant?",
            FAILED,
        )
    code = getattr(exc, "code", None)
    if isinstance(code, str):  # an error with a stable code: the code, then what it says
        message = getattr(exc, "message", None)
        return f"{code}: {message if isinstance(message, str) else _first_line(exc)}", FAILED
    return f"{type(exc).__name__}: {_first_line(exc)} (--debug shows the traceback)", FAILED


def report_and_exit(exc: BaseException, *, debug: bool, database_url: str | None) -> None:
    """Print ``exc`` as one line (and its traceback with ``debug``), then exit."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    line, code = describe(exc, database_url)
    click.echo(f"error: {line}", err=True)
    sys.exit(code)


def installation_id(text: str) -> uuid.UUID:
    """An installation id given on the command line; a usage error when it is no UUID."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an installation id (a UUID; `upsales-fortnox installations list` "
            "shows them)"
        ) from None
