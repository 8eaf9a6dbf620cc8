"""The service against its own OpenAPI document: schemathesis generates requests for every
operation (a bounded number, from a fixed seed, with the operator token) and checks every answer:
no 5xx, documented status codes, headers and bodies that match the document.

Run time: a few seconds on SQLite (the examples per operation are bounded below).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import positive_data_acceptance

from tests.conftest import ADMIN_TOKEN
from tests.database import create_schema
from tests.serving import served
from upsales_fortnox.core.config import Settings
from upsales_fortnox.main import create_app

EXAMPLES_PER_OPERATION = int(os.environ.get("UFS_FUZZ_EXAMPLES", "12"))
#: ``positive_data_acceptance`` asks that every request the document allows be accepted. It runs
#: on every operation but these, each refusing for a rule JSON Schema cannot state:
ACCEPTANCE_UNSTATABLE: dict[str, str] = {
    "GET /api/jobs": "`cursor` must be a cursor the API gave out (signed, from a previous page)",
    "GET /oauth/fortnox/callback": "`state` must be one the service signed and stored for a "
    "login in this browser, and `code` one Fortnox issued",
    "PATCH /api/installations/{installation_id}": "`If-Match` must name the installation's "
    "current version (its ETag), which changes with every write",
    "POST /api/installations": "the settings rules relate fields (what each `syncType` "
    "requires, won and lost stages that differ); the description states them",
    "GET /api/installations/{installation_id}/reconciliation": "the period relates its two "
    "dates (`from` not after `to`, at most 366 days apart); the description states it",
    "POST /api/installations/{installation_id}/reconciliation/repair": "the same period rule "
    "as the report's",
    "POST /api/jobs/retry-dead": "`died_from` must be before `died_before` (a period relates "
    "its two moments); the description states it",
    "POST /api/installations/{installation_id}/links": "`fortnox_id` is a document's number "
    "(digits) when `fortnox_type` names a document, any text for a customer or an article; the "
    "description states it",
}
"""``UFS_FUZZ_EXAMPLES`` raises the examples per operation (150 ran clean)."""


def excluded_checks(label: str) -> list[Any]:
    return [positive_data_acceptance] if label in ACCEPTANCE_UNSTATABLE else []


@pytest.fixture(scope="module")
def service_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.sqlite3"
    url = f"sqlite:///{database}"
    asyncio.run(create_schema(url))
    app_settings = Settings(
        database_url=url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )
    with served(create_app(app_settings)) as origin:
        yield origin


DOCUMENT = create_app(Settings()).openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_conforms_to_the_document(label: str, service_origin: str) -> None:
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=service_origin, headers=headers, excluded_checks=excluded_checks(label)
        )

    check()


def test_every_unstatable_rule_names_an_operation_of_the_document() -> None:
    assert set(ACCEPTANCE_UNSTATABLE) <= set(OPERATIONS)
