"""What the demo prints: its ports, its outcome, and the commands to try it by hand."""

from __future__ import annotations

import shlex
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ufs_sandboxes.upsales import DemoUpsalesSeed
from upsales_fortnox.core.config import Settings

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoPorts:
    host: str = "127.0.0.1"
    service: int = 8080
    fortnox: int = 8091
    upsales: int = 8092

    def origin(self, port: int) -> str:
        return f"http://{self.host}:{port}"


@dataclass(frozen=True)
class DemoOutcome:
    """What the showcase did, for the printout and for tests."""

    installation_id: uuid.UUID
    won_order_id: int
    fortnox_invoice_number: str
    fortnox_invoice_total: Decimal
    upsales_order_value: Decimal
    fortnox_customer_number: str
    upsales_company_id: int


@dataclass(frozen=True)
class DemoAccess:
    """The credentials the printout hands out (all of them local to the demo)."""

    upsales_api_key: str
    fortnox_access_token: str


def command_path() -> str:
    """How to run ``upsales-fortnox`` from any folder: the script beside this Python, when
    there is one (``make demo`` does not put the venv on ``PATH``)."""
    script = Path(sys.executable).with_name("upsales-fortnox")
    return str(script) if script.exists() else "upsales-fortnox"


def print_try_it(
    say: Say,
    settings: Settings,
    ports: DemoPorts,
    outcome: DemoOutcome,
    seed: DemoUpsalesSeed,
    access: DemoAccess,
) -> None:
    service = ports.origin(ports.service)
    upsales = ports.origin(ports.upsales)
    fortnox = ports.origin(ports.fortnox)
    token = settings.admin_token.get_secret_value()
    say("")
    say("Everything is running. Try it yourself:")
    say(f"  service      {service}/docs   (operator token: {token})")
    say(f"  console      {service}/console   (log in with the operator token)")
    say(f"  Upsales API  {upsales}/api/v2  (API key: {access.upsales_api_key})")
    say(f"  Fortnox API  {fortnox}/3  (sandbox admin: {fortnox}/_sandbox)")
    say("  In another shell, paste these first (the README's commands use them):")
    exports = {
        "DATABASE_URL": settings.database_url,
        "FORTNOX_API_BASE_URL": settings.fortnox_api_base_url,
        "FORTNOX_AUTH_BASE_URL": settings.fortnox_auth_base_url,
        "UPSALES_API_BASE_URL": settings.upsales_api_base_url,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "KEY": access.upsales_api_key,
        "INSTALLATION": str(outcome.installation_id),
        "FORTNOX_TOKEN": access.fortnox_access_token,
        "ADMIN_TOKEN": token,
    }
    for name, value in exports.items():
        say(f"    export {name}={shlex.quote(value)}")
    say("  Then the command line works on the demo's database:")
    say(f"    {command_path()} installations list")
    say("  The initial sync's dry run, asked of the running service (on SQLite one process")
    say("  paces each Fortnox tenant: the command `preview` is for a database no service runs on):")
    say(
        f'    curl -s -X POST "{service}/api/installations/$INSTALLATION/initial-sync/preview" '
        '-H "Authorization: Bearer $ADMIN_TOKEN"'
    )
    say("  Win another deal in Upsales (company 'Fjällbacka Fisk & Skaldjur AB'):")
    say(
        f'    curl -s -X POST "{upsales}/api/v2/orders?token=$KEY" '
        "-H 'Content-Type: application/json' -d '"
        f'{{"description":"Utbildning","date":"2026-11-25","user":{{"id":{seed.sales_rep_user_ids[1]}}},'
        f'"client":{{"id":{seed.account_ids[1]}}},"stage":{{"id":{seed.stage_won_id}}},"probability":100,'
        f'"orderRow":[{{"quantity":1,"price":9500,"listPrice":9500,'
        f'"product":{{"id":{seed.product_ids_by_article_no["UTB-DAG"]}}}}}]}}'
        "'"
    )
    say(
        f'    curl -s "{service}/api/installations/$INSTALLATION/links?entity=order" '
        '-H "Authorization: Bearer $ADMIN_TOKEN"'
    )
    say("  Create a customer in Fortnox (it shows up as an Upsales company within seconds):")
    say(
        f'    curl -s -X POST "{fortnox}/3/customers" -H "Authorization: Bearer $FORTNOX_TOKEN" '
        "-H 'Content-Type: application/json' "
        """-d '{"Customer":{"Name":"Mitt Nya Bolag AB","OrganisationNumber":"559911-2233"}}'"""
    )
    say(f'    curl -s "{upsales}/api/v2/accounts?token=$KEY&sort=-id&limit=1"')
    say("  Jobs and their attempts:")
    say(
        f'    curl -s "{service}/api/jobs?installation_id=$INSTALLATION" '
        '-H "Authorization: Bearer $ADMIN_TOKEN"'
    )
    say("Press Ctrl-C to stop.")
