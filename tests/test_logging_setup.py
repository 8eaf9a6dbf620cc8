"""Structured logs: one JSON object a line with the bound ids, and no secret ever printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from upsales_fortnox.core.logging_setup import (
    JsonFormatter,
    RedactingContextFilter,
    TextFormatter,
    log_context,
    register_secret,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingContextFilter())
    logger = logging.getLogger("tests.logging_setup")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream, handler
    finally:
        logger.removeHandler(handler)


def test_json_lines_carry_the_bound_ids(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    with log_context(installation_id="inst-1"):
        logger.info("job %s done", 7, extra={"job_id": 7})
    logger.info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "job 7 done"
    assert (first["installation_id"], first["job_id"]) == ("inst-1", "7")
    assert first["level"] == "info" and first["logger"] == "tests.logging_setup"
    assert "installation_id" not in second


def test_tokens_and_registered_secrets_are_redacted(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream, handler = captured
    handler.setFormatter(TextFormatter())
    register_secret("customer-api-key-abcdef")
    logger.info("calling with Authorization: Bearer eyJhbGciOi.payload.sig")
    logger.info("GET /accounts?token=abc123secret&limit=10")
    logger.info("key customer-api-key-abcdef and secret whsec_abcdefgh12345")
    logger.info('body {"refresh_token": "rt-0987654321"}')
    text = stream.getvalue()
    for secret in (
        "eyJhbGciOi.payload.sig",
        "abc123secret",
        "customer-api-key-abcdef",
        "whsec_abcdefgh12345",
        "rt-0987654321",
    ):
        assert secret not in text
    assert text.count("[redacted]") == 5
    assert "limit=10" in text


def test_exception_text_is_redacted_too(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    try:
        raise RuntimeError("refused: access_token=at-secret-value")
    except RuntimeError:
        logger.exception("call failed")
    line = json.loads(stream.getvalue())
    assert "at-secret-value" not in stream.getvalue()
    assert "RuntimeError" in line["exception"]


def test_a_password_in_a_url_is_redacted_as_the_settings_repr_shows_it(captured) -> None:  # type: ignore[no-untyped-def]
    """``Settings`` masks its SecretStr fields but holds ``DATABASE_URL`` as text: an exception
    or a log line that carries the settings (or any URL with a password) shows no password."""
    from upsales_fortnox.core.config import Settings

    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    settings = Settings(database_url="postgresql://app:Db-Pa55word!x@db.internal:5432/sync")
    logger.warning("starting with %r", settings)
    try:
        raise RuntimeError(f"pool failed for {settings.database_url}")
    except RuntimeError:
        logger.exception("engine failed")
    logger.info("posting to https://hooks:hunter2hunter2@alerts.example/raise")
    text = stream.getvalue()
    for secret in ("Db-Pa55word!x", "hunter2hunter2"):
        assert secret not in text
    assert "postgresql://app:[redacted]@db.internal:5432/sync" in text
    assert "https://example.com/a@b" in _logged(captured, "see https://example.com/a@b")


def _logged(captured, message: str) -> str:  # type: ignore[no-untyped-def]
    logger, stream, _ = captured
    stream.truncate(0)
    stream.seek(0)
    logger.info(message)
    return stream.getvalue()


def test_a_url_password_holding_a_slash_or_an_at_sign_is_redacted_whole(captured) -> None:  # type: ignore[no-untyped-def]
    """A generated password may hold ``/`` (SQLAlchemy reads all up to the ``@`` as the
    password), or an ``@`` typed unescaped: no part of it is shown."""
    for url, secret in (
        ("postgresql+asyncpg://app:Pa55/word+x@db.internal/sync", "Pa55/word+x"),
        ("postgresql://app:Pa55@word@db.internal:5432/sync", "word"),
        ("postgresql://app:Pa55%40word@db.internal/sync", "Pa55%40word"),
    ):
        text = _logged(captured, f"connecting to {url}")
        assert secret not in text, text
        assert "@db.internal" in text and "app:[redacted]" in text
    assert "[redacted]" in _logged(captured, "postgresql://db.internal/sync?password=Pa55word")
    line = "GET http://127.0.0.1:8080/orders?to=a@b.se HTTP/1.1"
    assert line in _logged(captured, line)  # a port and a path, no password


def test_json_and_text_lines_carry_a_jobs_kind_and_entity(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    logger.error("job dead", extra={"job_id": 3, "kind": "upsales.order", "entity_id": "42"})
    line = json.loads(stream.getvalue())
    assert (line["kind"], line["entity_id"]) == ("upsales.order", "42")
    handler.setFormatter(TextFormatter())
    logger.error("job dead", extra={"job_id": 3, "kind": "upsales.order", "entity_id": "42"})
    assert "kind=upsales.order entity_id=42" in stream.getvalue().splitlines()[-1]
