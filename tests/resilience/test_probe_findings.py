"""What an outside probe found, each fixed and kept fixed: no one-time value in a log line,
answers that conform to the service's own OpenAPI, a complete ``Allow`` on 405, the enforced
rules declared in the document, and a decision for each lenient-parsing case of the intake."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.intake.support import (
    API_KEY,
    all_jobs,
    count_rows,
    create_installation,
    order_hook,
)
from upsales_fortnox.core.logging_setup import ACCESS_LOGGERS, configure_logging
from upsales_fortnox.documents.signing import DocumentLinkSigner
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import FortnoxType

# -- logs ------------------------------------------------------------------------------------


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The root handler and uvicorn's loggers as they were (a uvicorn server started by another
    test may have silenced its access logger: it is reset to what ``serve`` gets)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    loggers = {name: logging.getLogger(name) for name in (*ACCESS_LOGGERS, "uvicorn")}
    saved_state = {
        name: (item.filters[:], item.level, item.propagate, item.handlers[:])
        for name, item in loggers.items()
    }
    for item in loggers.values():
        item.setLevel(logging.NOTSET)
        item.propagate = True
        item.handlers = []
    try:
        yield
    finally:
        root.handlers, root.level = saved[0], saved[1]
        for name, (filters, level, propagate, handlers) in saved_state.items():
            item = loggers[name]
            item.filters, item.propagate, item.handlers = filters, propagate, handlers
            item.setLevel(level)


def _access_line(path: str) -> None:
    """What uvicorn's access logger writes for one request (its own format and arguments)."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50412", "GET", path, "1.1", 302
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_access_log_lines_carry_no_code_state_or_token(
    log_format: str, restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(log_format, "INFO")
    _access_line("/oauth/fortnox/callback?code=one-time-code-4711&state=st4te-value-0815")
    _access_line("/activate/abc/fortnox?token=signed-link-token-99&lang=sv")
    _access_line("/oauth/fortnox/callback?error=access_denied&state=denied-state-123")
    text = capsys.readouterr().err
    for value in (
        "one-time-code-4711",
        "st4te-value-0815",
        "signed-link-token-99",
        "denied-state-123",
    ):
        assert value not in text
    assert "code=[redacted]&state=[redacted]" in text
    assert "lang=sv" in text and "error=access_denied" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_access_log_lines_carry_no_document_link_signature(
    log_format: str, restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A document link's signature opens the customer's invoice PDF to whoever holds it."""
    signer = DocumentLinkSigner("a-secret-key-0123456789abcdef", "salt-1", 1)
    installation_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    url = signer.url("https://sync.example.test", installation_id, FortnoxType.INVOICE, "4711")
    signature = signer.signature(installation_id, FortnoxType.INVOICE, "4711")
    configure_logging(log_format, "INFO")
    _access_line(url.removeprefix("https://sync.example.test"))
    text = capsys.readouterr().err
    assert signature not in text
    assert f"/documents/{installation_id}/invoice/4711?sig=[redacted]" in text


def test_a_handler_uvicorn_configures_itself_is_scrubbed_too(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("text", "INFO")

    stream = io.StringIO()
    own_handler = logging.StreamHandler(stream)
    access = logging.getLogger("uvicorn.access")
    access.addHandler(own_handler)
    try:
        _access_line("/oauth/fortnox/callback?state=abcdef123456&code=c0de-c0de-c0de")
    finally:
        access.removeHandler(own_handler)
    assert "c0de-c0de-c0de" not in stream.getvalue()
    assert "abcdef123456" not in stream.getvalue()
    capsys.readouterr()


# -- answers conform to the document -----------------------------------------------------------


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {**document["components"]["schemas"][name], "components": document["components"]}


async def test_settings_of_an_unconfigured_installation_conform_to_the_schema(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    document = (await api_client.get("/openapi.json")).json()
    response = await api_client.get(
        f"/api/installations/{installation.id}/settings", headers=admin_headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["syncType"] is None and body["productBundles"] is None
    schema = _component(document, "SettingsDocument")
    jsonschema_rs.validate(schema, body)
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(schema, {**body, "syncType": "sometimes"})


async def test_405_lists_every_method_of_the_path(api_client: httpx.AsyncClient) -> None:
    document = (await api_client.get("/openapi.json")).json()
    checked = 0
    templates = {
        path: re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for path in document["paths"]
    }
    for path in document["paths"]:
        url = re.sub(r"\{[^}]+\}", "1", path)
        # every path template the URL matches serves it (``/api/jobs/retry-dead`` is also
        # ``/api/jobs/{job_id}``)
        declared = {
            method.upper()
            for other, pattern in templates.items()
            if pattern.match(url)
            for method in document["paths"][other]
        }
        unused = next(m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in declared)
        response = await api_client.request(unused, url)
        assert response.status_code == 405, (path, response.status_code)
        assert response.json()["error"]["code"] == "method_not_allowed"
        allowed = {method.strip() for method in response.headers["Allow"].split(",")}
        assert allowed == declared, path
        checked += 1
    assert checked >= 15


async def test_the_document_declares_the_enforced_rules(api_client: httpx.AsyncClient) -> None:
    paths = (await api_client.get("/openapi.json")).json()["paths"]
    for path, method in (
        ("/api/installations/{installation_id}", "patch"),
        ("/api/installations/{installation_id}/settings", "put"),
    ):
        operation = paths[path][method]
        (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        assert if_match["required"] is True
        assert {"412", "428", "422"} <= set(operation["responses"])
    delete = paths["/api/installations/{installation_id}"]["delete"]
    (optional,) = [p for p in delete["parameters"] if p["name"] == "If-Match"]
    assert optional.get("required") is not True
    history = paths["/api/installations/{installation_id}/history"]["get"]
    assert history["x-exactly-one-of"] == ["upsales_id", "fortnox_id"]
    assert "exactly one" in history["responses"]["422"]["description"]
    assert "409" in paths["/api/installations/{installation_id}/links"]["post"]["responses"]


async def test_the_document_declares_the_compatible_link_types_and_non_null_fields(
    api_client: httpx.AsyncClient,
) -> None:
    schemas = (await api_client.get("/openapi.json")).json()["components"]["schemas"]
    link = {**schemas["LinkCreate"], "components": {"schemas": schemas}}
    pairs = {
        alternative["properties"]["entity"]["const"]: alternative["properties"]["fortnox_type"][
            "enum"
        ]
        for alternative in link["oneOf"]
    }
    assert pairs == {
        "company": ["customer"],
        "product": ["article"],
        "order": ["order", "invoice", "offer"],
    }
    good = {"entity": "company", "upsales_id": 1, "fortnox_type": "customer", "fortnox_id": "7"}
    jsonschema_rs.validate(link, good)
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(link, {**good, "fortnox_type": "offer"})
    patch = {**schemas["InstallationPatch"], "components": {"schemas": schemas}}
    for field in ("name", "status"):
        with pytest.raises(jsonschema_rs.ValidationError):
            jsonschema_rs.validate(patch, {field: None})
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(patch, {"webhook_secret": "has spaces in it ......"})


async def test_a_missing_if_match_is_428_and_a_stale_one_412(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/api/installations/{installation.id}"
    missing = await api_client.patch(url, json={"name": "B"}, headers=admin_headers)
    stale = await api_client.patch(
        url, json={"name": "B"}, headers={**admin_headers, "If-Match": '"99"'}
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (428, "precondition_required")
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "precondition_failed")


# -- lenient parsing: each case decided (see upsales_fortnox.intake.strict_json) ---------------


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


async def _post(
    client: httpx.AsyncClient, installation: Installation, raw: bytes
) -> httpx.Response:
    return await client.post(
        f"/webhooks/upsales/{installation.id}",
        content=raw,
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
async def test_a_utf16_or_utf32_body_is_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation, encoding: str
) -> None:
    raw = json.dumps(order_hook(7)).encode(encoding)
    response = await _post(api_client, installation, raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert await count_rows(services.session_factory) == (0, 0)


async def test_a_utf8_byte_order_mark_is_accepted_and_dropped(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    plain = await _post(api_client, installation, json.dumps(order_hook(7)).encode())
    with_bom = await _post(
        api_client, installation, b"\xef\xbb\xbf" + json.dumps(order_hook(7)).encode()
    )
    assert plain.status_code == with_bom.status_code == 202
    # The same document: the second delivery is the first one's duplicate.
    assert with_bom.json() == {"status": "duplicate", "job_id": plain.json()["job_id"]}


async def test_duplicate_keys_are_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    raw = (
        b'{"type": "after_order_update", "apiKey": "%s", "data": {"object": {"id": 7, "id": 8}}}'
        % API_KEY.encode()
    )
    response = await _post(api_client, installation, raw)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json" and "'id'" in error["message"]
    assert await count_rows(services.session_factory) == (0, 0)


async def test_a_body_nested_900_levels_is_refused(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    deep: Any = "x"
    for _ in range(900):
        deep = {"a": deep}
    response = await _post(api_client, installation, json.dumps(order_hook(7, extra=deep)).encode())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert await count_rows(services.session_factory) == (0, 0)


async def test_nesting_up_to_the_limit_is_accepted(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    deep: Any = [1]
    for _ in range(28):  # the hook's own three levels plus these stay within 32
        deep = {"a": deep}
    response = await _post(api_client, installation, json.dumps(order_hook(7, extra=deep)).encode())
    assert response.status_code == 202, response.text


async def test_a_numeric_string_id_is_read_as_the_number(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    hook = order_hook(7)
    hook["data"]["object"]["id"] = "5"
    response = await _post(api_client, installation, json.dumps(hook).encode())
    assert response.status_code == 202
    (job,) = await all_jobs(services.session_factory)
    assert job.entity_id == "5"
    for text_id in ("\u0665", "5.0", " 5", "-5"):  # an Arabic-Indic five, a fraction, ...
        hook["data"]["object"]["id"] = text_id
        refused = await _post(api_client, installation, json.dumps(hook).encode())
        assert refused.status_code == 422, text_id
