"""Keeping the Upsales API key out of error messages and log lines.

In the default ``query`` auth mode the key travels in the URL (``?token=<key>``), and httpx logs
every request URL at INFO level. :func:`redact` masks the key in any text, and
:func:`install_httpx_log_redaction` adds a filter to the ``httpx`` logger that does the same.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_TOKEN_PARAM = re.compile(r"(?i)(\btoken=)[^&\s\"'<>]+")


def redact(text: str, *secrets: str) -> str:
    """Mask every ``token=<value>`` query parameter and every occurrence of ``secrets``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _TOKEN_PARAM.sub(rf"\g<1>{MASK}", text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites a record's message with ``token=`` values masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


_HTTPX_FILTER = TokenRedactingFilter()


def install_httpx_log_redaction() -> None:
    """Attach the redacting filter to the ``httpx`` logger (idempotent)."""
    logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in logger.filters:
        logger.addFilter(_HTTPX_FILTER)
