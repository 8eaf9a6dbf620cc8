"""Structured logging: plain text or one JSON object a line, with secrets redacted.

Log records may carry ``installation_id``, ``job_id``, the job's ``kind`` and ``entity_id`` (the
Upsales or Fortnox id it syncs, by which an operator finds a customer's deal) and a failure's
stable ``code`` (pass them in ``extra``, or bind them for a block with :func:`log_context`). A
redaction filter removes anything that looks like a token and every secret registered with
:func:`register_secret`, so no secret can reach a log line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_CONTEXT: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039
_CONTEXT_FIELDS = ("installation_id", "job_id", "kind", "entity_id", "code")
"""Fields a JSON line carries when its record has them; ``code`` is the stable code of a job's
failure (the part of its ``last_error`` before ``:``)."""
_REDACTED = "[redacted]"
_registered_secrets: set[str] = set()

#: What a secret value looks like where a word could stand instead (see the patterns).
_CREDENTIAL = r"(?:(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z]{20,})"

SENSITIVE_QUERY_PARAMETERS = (
    "code",
    "state",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "api_?key",
    "secret",
    "sig",
)
"""Query parameters whose value never reaches a log line (regular expressions); ``sig`` is a
document link's signature, which opens the document's PDF for as long as the link key lives."""
ACCESS_LOGGERS = ("uvicorn.access", "uvicorn.error")
"""uvicorn's loggers; they get the redaction filter themselves, so their lines are scrubbed
even under a handler configured elsewhere (uvicorn's own log config)."""

_SECRET_PATTERNS = [
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|apikey|api_key|client_secret|secret|"
        rf"password|authenticationKey)[\"']?\s*:\s*[\"']?){_CREDENTIAL}"
    ),
    # A credential after "Bearer"/"Basic": 8+ characters with a digit or punctuation, or 20+
    # letters, so prose such as "the bearer token expired" stays readable.
    re.compile(rf"(?i)(\b(?:bearer|basic)\s+){_CREDENTIAL}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|apikey|api_key|client_secret|secret|"
        r"password|authenticationKey)[\"']?\s*=\s*[\"']?)[^\s\"'&,}\\]+"
    ),
    re.compile(r"(whsec_)[A-Za-z0-9_-]+"),
    # The password of a URL (``DATABASE_URL``, which ``Settings`` holds as text, so its repr
    # shows it): ``scheme://user:password@host`` keeps all but the password, which runs to the
    # last ``@`` before the host (a ``/`` in it is the password's, as SQLAlchemy reads it, and
    # an ``@`` typed unescaped too); a port and a path (``host:8080/?to=a@b.se``) are no password.
    re.compile(
        r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@\"'<>]*:)(?!\d+[/?#])[^\s\"'<>]+"
        r"(?=@[^\s/?#@\"'<>]*(?:[/?#\s\"'<>]|$))"
    ),
    # Query parameters that carry a secret or a one-time value (the OAuth ``code`` and
    # ``state`` of the Fortnox login), as they appear in access-log lines and URLs.
    re.compile(r"(?i)([?&](?:" + "|".join(SENSITIVE_QUERY_PARAMETERS) + r")=)[^&\s\"'#]+"),
]


def register_secret(value: str | None) -> None:
    """Make sure this exact value is never printed (short values are ignored)."""
    if value and len(value) >= 6:
        _registered_secrets.add(value)


def redact(text: str) -> str:
    for secret in _registered_secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + _REDACTED, text)
    return text


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind fields such as ``installation_id`` to every log record in this block."""
    merged = {**_CONTEXT.get(), **{key: str(value) for key, value in fields.items()}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class RedactingContextFilter(logging.Filter):
    """Adds the bound context to each record and redacts its message and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in _CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                document[key] = str(value)
        if record.exc_text:
            document["exception"] = redact(record.exc_text)
        return json.dumps(document, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}"
            for key in _CONTEXT_FIELDS
            if getattr(record, key, None) is not None
        )
        return redact(f"{line} {context}" if context else line)


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactingContextFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ACCESS_LOGGERS:
        access_logger = logging.getLogger(name)
        if not any(isinstance(item, RedactingContextFilter) for item in access_logger.filters):
            access_logger.addFilter(RedactingContextFilter())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
